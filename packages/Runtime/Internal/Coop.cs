using System;
using System.Threading;
using Spindle.Scheduling;

namespace Spindle.Internal;

/// <summary>
/// The cooperative budget: each poll of a task may complete <see cref="Budget"/> leaf operations
/// synchronously; after that a ready leaf reports pending and the task goes to the back of the run
/// queue, so a task looping on a ready channel cannot starve the others.
/// </summary>
internal static class Coop
{
    /// <summary>Units per poll: DESIGN.md §2, the value tokio uses (<c>coop::Budget::initial</c>).</summary>
    public const int Budget = 128;

    /// <summary>
    /// Spends one unit of the current poll's budget. Outside a task (no poll) there is no budget:
    /// always true. Out of budget: records a forced yield and returns false, and the caller yields.
    /// </summary>
    public static bool TryConsume()
    {
        // The budget lives in ThreadData (one thread-static read for the task and the budget).
        ThreadData? thread = ThreadData.IfCreated;
        TaskCore? task = thread?.Task;
        if (task is null)
        {
            return true;
        }

        if (thread!.CoopRemaining > 0)
        {
            thread.CoopRemaining--;
            return true;
        }

        task.Runtime.Metrics.RecordForcedYield();
        return false;
    }
}
