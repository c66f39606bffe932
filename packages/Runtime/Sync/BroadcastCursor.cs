using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// A broadcast receiver's place in the ring (the next position it reads) and its embedded wait. It is
/// the <see cref="WaitNode"/> queued in the channel while the receiver waits, and the
/// <see cref="IValueTaskSource{TResult}"/> behind <see cref="BroadcastReceiver{T}.RecvAsync"/>, so a
/// wait allocates nothing. One per receiver; the public <see cref="BroadcastReceiver{T}"/> wraps it
/// because a public type cannot derive from the internal <see cref="WaitNode"/>.
/// </summary>
/// <remarks>
/// <see cref="Position"/>, <see cref="IsDisposed"/> and the queue links are read and written under the
/// channel's lock. The wait follows <see cref="WaitNode"/>'s rule: whoever unlinks the cursor completes it.
/// </remarks>
internal sealed class BroadcastCursor<T> : WaitNode, ILeaf, IValueTaskSource<BroadcastResult<T>>
{
    private readonly BroadcastChannel<T> _channel;
    // Mutable struct: never readonly.
    private LeafWait _wait;

    public BroadcastCursor(BroadcastChannel<T> channel) => _channel = channel;

    public BroadcastChannel<T> Channel => _channel;

    /// <summary>The next position this receiver reads (under the channel's lock).</summary>
    public long Position { get; set; }

    /// <summary>Set once by the receiver's dispose (under the channel's lock).</summary>
    public bool IsDisposed { get; set; }

    /// <summary>No receive is pending or unconsumed.</summary>
    public bool IsIdle => _wait.IsIdle;

    /// <summary>Starts the wait; under the channel's lock, then queue, then <see cref="RegisterCancellation"/>.</summary>
    public short BeginLocked(string? file, int line, string? member) => _wait.Begin(this, file, line, member, default);

    public void RegisterCancellation(CancellationToken cancellationToken) => _wait.RegisterCancellation(this, cancellationToken);

    /// <summary>Completes the wait; only the one who unlinked the cursor calls this, outside the channel's lock.</summary>
    public void Complete()
    {
        Debug.Assert(!IsQueued, "a queued receiver was completed");
        bool won = _wait.TryComplete(this, null);
        Debug.Assert(won, "the unlinker of a receiver must be its only completer");
    }

    /// <summary>Completes every cursor of a chain drained from the channel's queue (linked through Next).</summary>
    public static void CompleteChain(WaitNode? chain)
    {
        while (chain is not null)
        {
            // Read the link first: a completed receiver may queue itself again at once from another thread.
            WaitNode? next = chain.Next;
            chain.Next = null;
            ((BroadcastCursor<T>)chain).Complete();
            chain = next;
        }
    }

    public override bool TryCancelWait(Exception error) =>
        _channel.RemoveWaiter(this) && _wait.TryComplete(this, error);

    // A receiver may be awaited by one task after another: a stale abort of the earlier task must not end the later wait.
    bool ILeaf.TryCancelWaitOf(TaskCore task, Exception error) =>
        ReferenceEquals(_wait.WaitingTask, task) && TryCancelWait(error);

    public override LeafInfo Describe() => _wait.Describe("broadcast.recv", _channel.DescribeCursor(this));

    public ValueTaskSourceStatus GetStatus(short token) => _wait.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    public BroadcastResult<T> GetResult(short token)
    {
        ValueTaskSourceStatus status = _wait.GetStatus(token);
        if (status == ValueTaskSourceStatus.Pending)
        {
            // Premature or repeated: refuse without touching the wait in flight.
            ThrowHelper.ThrowBadToken();
        }

        if (status != ValueTaskSourceStatus.Succeeded)
        {
            // Cancelled or aborted: throws and returns the wait to idle; the cursor did not move.
            _wait.GetResult(token);
        }

        // Read before the wait goes idle, so no TryRecv can slip in between the wake and the read.
        BroadcastResult<T> result = _channel.TakeAfterWake(this);
        _wait.GetResult(token);
        return result;
    }
}
