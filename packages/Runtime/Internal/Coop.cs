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
    public static bool TryConsume() => TryConsume(ThreadData.IfCreated);

    /// <summary>As <see cref="TryConsume()"/>, for a caller that has already read the thread's data (<see cref="ThreadData.IfCreated"/>).</summary>
    public static bool TryConsume(ThreadData? thread)
    {
        // The budget lives in ThreadData (one thread-static read for the task and the budget).
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

        if (CanRenew(thread, task))
        {
            thread.CoopRemaining = Budget - 1;
            return true;
        }

        task.Runtime.Metrics.RecordForcedYield();
        return false;
    }

    /// <summary>
    /// Whether the spent budget may start over instead of forcing a yield: the yield exists to let
    /// the thread's other work run, and a thread with none queued (and no driver maintenance due)
    /// would only poll this task again, after a trip through its queue.
    /// </summary>
    private static bool CanRenew(ThreadData thread, TaskCore task)
    {
        if (thread.Worker is { } worker)
        {
            return ReferenceEquals(task.Scheduler, worker.Scheduler) && worker.TryRenewBudget();
        }

        return thread.Driving is { } driver && ReferenceEquals(task.Scheduler, driver) && driver.TryRenewBudget();
    }
}
