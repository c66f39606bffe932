using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>The receiving half: the embedded wait, taking messages, and the leaf protocol.</summary>
internal sealed partial class MpscChannel<T> : ILeaf, IValueTaskSource<RecvResult<T>>, IValueTaskSource<int>
{
    private static readonly Action<object?> s_wakeAfterYield = static state => ((MpscChannel<T>)state!).WakeReceiver();

    /// <summary>Bit of <c>_recvState</c> set while the receive wait is published and unclaimed.</summary>
    private const long WaitingBit = 1;

    // Mutable struct: never readonly.
    private LeafWait _recvWait;
    // generation << 1 | WaitingBit; see the design comment (receiver wait).
    private long _recvState;
    // Where a pending RecvManyAsync puts what it takes; set when the wait starts, cleared when its result is taken.
    private IList<T>? _manyList;
    private Memory<T> _manyMemory;
    private int _manyLimit;

    /// <summary>Whether every sender (and permit) is gone or the receiver closed (racy snapshot).</summary>
    public bool IsClosedForReceiver
    {
        get
        {
            lock (_lock)
            {
                return _closed || (_senders == 0 && _permits == 0);
            }
        }
    }

    public ValueTask<RecvResult<T>> RecvAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        EnsureNoReceive();
        short token;
        if (_queue.HasReady || HasEnded())
        {
            if (Coop.TryConsume())
            {
                return new ValueTask<RecvResult<T>>(TakeOne());
            }

            token = _recvWait.Begin(this, file, line, member, default);
            YieldThenWake();
            return new ValueTask<RecvResult<T>>(this, token);
        }

        token = BeginWait(file, line, member, cancellationToken);
        return new ValueTask<RecvResult<T>>(this, token);
    }

    public ValueTask<int> RecvManyAsync(IList<T>? list, Memory<T> memory, int limit, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        EnsureNoReceive();
        bool wait = !_queue.HasReady && !HasEnded();
        if (!wait && Coop.TryConsume())
        {
            return new ValueTask<int>(TakeMany(list, memory, limit));
        }

        _manyList = list;
        _manyMemory = memory;
        _manyLimit = limit;
        short token;
        if (wait)
        {
            token = BeginWait(file, line, member, cancellationToken);
            return new ValueTask<int>(this, token);
        }

        token = _recvWait.Begin(this, file, line, member, default);
        YieldThenWake();
        return new ValueTask<int>(this, token);
    }

    /// <summary>
    /// The coop budget is spent but a message (or the end) is ready: the wait started by the caller is
    /// completed after one trip through the run queue, and GetResult then takes what is ready — it
    /// cannot leave meanwhile, since only this receiver takes messages. The wait is not published in
    /// <c>_recvState</c>, so no sender or canceller completes it; the yield is never cut short.
    /// Done in the leaf (not with an async helper) so the forced yield allocates nothing.
    /// </summary>
    private void YieldThenWake()
    {
        TaskCore? task = TaskCore.Current;
        Debug.Assert(task is not null, "the budget is only ever spent inside a Spindle task");
        task.EnqueueYield(s_wakeAfterYield, this);
    }

    public TryRecvStatus TryRecv(out T value)
    {
        EnsureNoReceive();
        if (_queue.TryDequeue(out value!))
        {
            ReleaseSlots(IsBounded ? 1 : 0);
            return TryRecvStatus.Received;
        }

        // Not ready, or a producer is still writing the next position (HasEnded is false then).
        return HasEnded() ? TryRecvStatus.Closed : TryRecvStatus.Empty;
    }

    private void EnsureNoReceive()
    {
        // A published wait is never idle, so the LeafWait state alone tells whether a receive is pending.
        if (!_recvWait.IsIdle)
        {
            ThrowHelper.ThrowConcurrentReceive();
        }
    }

    /// <summary>Starts, publishes and (if something showed up meanwhile) takes back the receive wait.</summary>
    private short BeginWait(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        short token = _recvWait.Begin(this, file, line, member, default);
        // Only the receiver writes _recvState while the bit is clear, so this plain read is current.
        long idle = _recvState;
        Debug.Assert((idle & WaitingBit) == 0, "a new wait starts only after the last one was claimed");
        long waiting = idle + 2 + WaitingBit;
        // Full fence between publishing the wait and the re-check below (pairs with the fence after a
        // sender writes its slot's state and the exchange of _finished, each followed by a read of _recvState).
        Interlocked.Exchange(ref _recvState, waiting);
        // After publishing: a token that fires now finds the wait claimable (its callback may run inline here).
        _recvWait.RegisterCancellation(this, cancellationToken);
        if ((_queue.HasReady || HasEnded()) && TryClaim(waiting))
        {
            // Something arrived before the wakers could see the wait; nobody else will complete it.
            WakeReceiver();
        }

        return token;
    }

    /// <summary>Whether the stream has ended: no handle can add a message and every message was read.</summary>
    // _finished first (acquire, pairs with its interlocked exchange), then the tail, which is final by then.
    private bool HasEnded() => Volatile.Read(ref _finished) != 0 && _queue.IsDrained;

    /// <summary>Claims the published wait of generation <paramref name="waiting"/>; only the winner completes it.</summary>
    // The one CAS every claimer races on; the generation in the value keeps a stale claimer off a later wait.
    private bool TryClaim(long waiting) =>
        Interlocked.CompareExchange(ref _recvState, waiting & ~WaitingBit, waiting) == waiting;

    /// <summary>
    /// Called by whoever may have made the parked receive completable (a message queued, the stream's
    /// end): claims and completes the wait if it is published and the receiver now has something to do.
    /// </summary>
    private void WakeReceiverIfParkedAndReady()
    {
        // Read after the caller's full fence (after the slot's state was written, or the exchange of _finished): Dekker with BeginWait.
        long state = Volatile.Read(ref _recvState);
        if ((state & WaitingBit) == 0)
        {
            return;
        }

        // The consumer cannot move while its wait is published, so these reads are exact for generation `state`;
        // if the generation moved on, TryClaim fails.
        if ((_queue.HasReady || HasEnded()) && TryClaim(state))
        {
            WakeReceiver();
        }
    }

    private void WakeReceiver() => _recvWait.CompleteClaimed(null);

    private RecvResult<T> TakeOne()
    {
        if (_queue.TryDequeue(out T? value))
        {
            ReleaseSlots(IsBounded ? 1 : 0);
            return new RecvResult<T>(value);
        }

        Debug.Assert(HasEnded(), "a receive went ahead with nothing ready before the stream ended");
        return default;
    }

    private int TakeMany(IList<T>? list, Memory<T> memory, int limit)
    {
        int count = 0;
        if (list is not null)
        {
            while (count < limit && _queue.TryDequeue(out T? value))
            {
                list.Add(value);
                count++;
            }
        }
        else
        {
            Span<T> span = memory.Span;
            while (count < limit && _queue.TryDequeue(out T? value))
            {
                span[count++] = value;
            }
        }

        Debug.Assert(count > 0 || HasEnded(), "a receive went ahead with nothing ready before the stream ended");
        ReleaseSlots(IsBounded ? count : 0);
        return count;
    }

    private void ReleaseSlots(int count)
    {
        Debug.Assert(count == 0 || IsBounded, "only a bounded channel has slots");
        if (count > 0)
        {
            _slots!.Release(count);
        }
    }

    ValueTaskSourceStatus IValueTaskSource<RecvResult<T>>.GetStatus(short token) => _recvWait.GetStatus(token);

    void IValueTaskSource<RecvResult<T>>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _recvWait.OnCompleted(this, continuation, state, token, flags);

    RecvResult<T> IValueTaskSource<RecvResult<T>>.GetResult(short token)
    {
        // Throws for a premature GetResult (touching nothing) or a cancelled wait, which took nothing:
        // the message stays for the next receive.
        ThrowIfReceiveFailed(token);
        // Taken before the wait goes idle: a Dispose meanwhile sees a receive in flight and leaves the
        // queue to it (see DrainIfDisposed).
        RecvResult<T> result = TakeOne();
        EndReceive(token);
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _recvWait.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _recvWait.OnCompleted(this, continuation, state, token, flags);

    int IValueTaskSource<int>.GetResult(short token)
    {
        // As in the single receive: a premature GetResult touches nothing, a cancelled wait took nothing.
        _recvWait.ThrowIfPending(token);
        IList<T>? list = _manyList;
        Memory<T> memory = _manyMemory;
        int limit = _manyLimit;
        // Only the receiving flow touches these; the next receive cannot start before the wait goes idle.
        _manyList = null;
        _manyMemory = default;
        ThrowIfReceiveFailed(token);
        int count = TakeMany(list, memory, limit);
        EndReceive(token);
        return count;
    }

    /// <summary>Returns the receive wait to idle once its result is taken, then drops the queue if the receiver was disposed meanwhile.</summary>
    private void EndReceive(short token)
    {
        _recvWait.GetResult(this, token);
        DrainIfDisposedAfterReceive();
    }

    /// <summary>As <see cref="LeafWait.ThrowIfFailed"/>; a cancelled receive, which goes idle as it throws, drops the queue if the receiver was disposed meanwhile.</summary>
    private void ThrowIfReceiveFailed(short token)
    {
        try
        {
            _recvWait.ThrowIfFailed(this, token);
        }
        catch
        {
            DrainIfDisposedAfterReceive();
            throw;
        }
    }

    private void DrainIfDisposedAfterReceive()
    {
        // Full fence between going idle and reading _disposed (pairs with the one in Close: Dekker), so
        // either this receive or the Dispose sees the other and drops what is left.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _disposed))
        {
            DrainIfDisposed();
        }
    }

    bool ILeaf.TryCancelWait(Exception error) => TryCancelReceive(error);

    bool ILeaf.TryCancelWaitOf(TaskCore task, Exception error)
    {
        // The claim is by generation, read between two checks of the task (as LeafWait.TryGetVersionOf does
        // for the version): an abort that lost the race with this wait's completion cannot claim the next
        // wait, by another task or the same one.
        if (!ReferenceEquals(_recvWait.WaitingTask, task))
        {
            return false;
        }

        Interlocked.MemoryBarrier();
        long state = Volatile.Read(ref _recvState);
        Interlocked.MemoryBarrier();
        return ReferenceEquals(_recvWait.WaitingTask, task) && TryCancelReceive(state, error);
    }

    // Acquire: pairs with the exchange in BeginWait. The token's registration is disposed before the next
    // wait begins, so a token callback can only be for the wait that is published now.
    private bool TryCancelReceive(Exception error) => TryCancelReceive(Volatile.Read(ref _recvState), error);

    private bool TryCancelReceive(long state, Exception error) =>
        (state & WaitingBit) != 0 && TryClaim(state) && _recvWait.TryComplete(error);

    LeafInfo ILeaf.Describe() => _recvWait.Describe("mpsc.recv", $"{Count} queued, {SenderCount} sender(s)");
}
