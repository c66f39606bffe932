using System;
using Spindle.Diagnostics;

namespace Spindle.Internal;

/// <summary>
/// A Spindle awaitable that a task can be suspended on. The task remembers the leaf while it waits so
/// that abort and timeouts can end the wait at once, and task listings can say what it waits for.
/// </summary>
internal interface ILeaf
{
    /// <summary>
    /// Ends the wait with <paramref name="error"/> if it is still pending, giving up the leaf's place
    /// (timer, waiter list) so nothing is lost. Returns false if the leaf completed first.
    /// </summary>
    bool TryCancelWait(Exception error);

    /// <summary>
    /// Like <see cref="TryCancelWait"/>, for abort and timeouts of <paramref name="task"/>: they find
    /// the leaf in the task's list and call this outside the task's lock, so a pooled leaf that was
    /// completed and reused by another task meanwhile must refuse.
    /// </summary>
    bool TryCancelWaitOf(Scheduling.TaskCore task, Exception error) => TryCancelWait(error);

    /// <summary>Describes the wait for listings and dumps; never calls user code.</summary>
    LeafInfo Describe();
}
