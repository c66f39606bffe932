using System;
using Spindle.Diagnostics;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// A waiter that can sit in a <see cref="WaitQueue"/>: the intrusive links live in the waiter itself,
/// so queueing allocates nothing. Subclasses are pooled waiters (<see cref="SyncWaiter"/>) and
/// receivers that embed their own wait (broadcast, watch).
/// </summary>
/// <remarks>
/// The links and <see cref="IsQueued"/> belong to the queue's owner and are read and written only
/// under the owner's lock. Whoever unlinks a waiter completes it; that rule (not the wait's own CAS)
/// is what makes a cancelled waiter give up its place without losing a permit or a message.
/// </remarks>
internal abstract class WaitNode : ILeaf
{
    internal WaitNode? Prev;
    internal WaitNode? Next;
    internal bool IsQueued;

    public abstract bool TryCancelWait(Exception error);

    public abstract LeafInfo Describe();
}
