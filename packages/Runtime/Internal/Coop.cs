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

    [ThreadStatic]
    private static int t_remaining;

    public static void Reset() => t_remaining = Budget;

    public static bool IsExhausted => t_remaining <= 0;

    /// <summary>Takes a unit if one is left. Outside a Spindle task there is no budget and this always succeeds.</summary>
    public static bool TryConsume()
    {
        TaskCore? task = TaskCore.Current;
        if (task is null)
        {
            return true;
        }

        if (t_remaining > 0)
        {
            t_remaining--;
            return true;
        }

        task.Runtime.Metrics.RecordForcedYield();
        return false;
    }

    public static void ConsumeUnchecked()
    {
        if (t_remaining > 0)
        {
            t_remaining--;
        }
    }
}
