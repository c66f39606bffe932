using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// A receiver of a fan-out channel (broadcast, watch) with its embedded wait: the
/// <see cref="WaitNode"/> queued in the channel while the receiver waits, and the
/// <see cref="IValueTaskSource{TResult}"/> behind its receive, so a wait allocates nothing. The public
/// receivers wrap it because a public type cannot derive from the internal <see cref="WaitNode"/>.
/// </summary>
/// <remarks>
/// The subclass's position, <see cref="IsDisposed"/> and the queue links are read and written under
/// the channel's lock. The wait follows <see cref="WaitNode"/>'s rule: whoever unlinks the cursor
/// completes it.
/// </remarks>
/// <typeparam name="TResult">What a completed wait hands out.</typeparam>
internal abstract class ChannelCursor<TResult> : WaitNode, ILeaf, IValueTaskSource<TResult>
{
    // Mutable struct: never readonly.
    private LeafWait _wait;

    /// <summary>Set once by the receiver's dispose (under the channel's lock).</summary>
    public bool IsDisposed { get; set; }

    /// <summary>No wait is pending or unconsumed.</summary>
    public bool IsIdle => _wait.IsIdle;

    /// <summary>Leaf kind for listings, e.g. <c>broadcast.recv</c>.</summary>
    protected abstract string Kind { get; }

    /// <summary>Starts the wait; under the channel's lock, then queue, then <see cref="RegisterCancellation"/>.</summary>
    public short BeginLocked(string? file, int line, string? member) => _wait.Begin(this, file, line, member, default);

    public void RegisterCancellation(CancellationToken cancellationToken) => _wait.RegisterCancellation(this, cancellationToken);

    /// <summary>Completes the wait; only the one who unlinked the cursor calls this, outside the channel's lock.</summary>
    public void Complete()
    {
        Debug.Assert(!IsQueued, "a queued receiver was completed");
        _wait.CompleteClaimed(null);
    }

    /// <summary>Completes every cursor of a chain drained from the channel's queue (linked through Next).</summary>
    public static void CompleteChain(WaitNode? chain)
    {
        while (chain is not null)
        {
            // Read the link first: a completed receiver may queue itself again at once from another thread.
            WaitNode? next = chain.Next;
            chain.Next = null;
            ((ChannelCursor<TResult>)chain).Complete();
            chain = next;
        }
    }

    /// <summary>
    /// Unlinks the cursor from its channel's queue under the channel's lock; false if a completer took it
    /// first, or if the cursor no longer carries the wait of <paramref name="version"/> (<see cref="IsWait"/>,
    /// checked under that lock).
    /// </summary>
    protected abstract bool RemoveFromChannel(short version);

    /// <summary>Whether the cursor still carries the wait of <paramref name="version"/>.</summary>
    public bool IsWait(short version) => _wait.Version == version;

    /// <summary>Resource text for listings (called outside any lock).</summary>
    protected abstract string DescribeResource();

    /// <summary>Takes what the wake-up was for, under the channel's lock, before the wait goes idle.</summary>
    protected abstract TResult TakeAfterWake();

    // A token's registration is disposed before the next wait begins, so its callback can only be for the current wait.
    public override bool TryCancelWait(Exception error) => TryCancelWait(error, _wait.Version);

    private bool TryCancelWait(Exception error, short version) => RemoveFromChannel(version) && _wait.TryComplete(error);

    // A receiver may be awaited by one task after another: a stale abort of the earlier task must not end the later wait.
    bool ILeaf.TryCancelWaitOf(TaskCore task, Exception error) =>
        _wait.TryGetVersionOf(task, out short version) && TryCancelWait(error, version);

    public override LeafInfo Describe() => _wait.Describe(Kind, DescribeResource());

    public ValueTaskSourceStatus GetStatus(short token) => _wait.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    public TResult GetResult(short token)
    {
        // Premature, repeated, cancelled or aborted: throws; the cursor did not move.
        _wait.ThrowIfFailed(this, token);
        // Read before the wait goes idle, so no TryRecv/MarkUnchanged can slip in between the wake and the read.
        TResult result = TakeAfterWake();
        _wait.GetResult(this, token);
        return result;
    }
}
