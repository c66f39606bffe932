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

    // Mutable struct: never readonly.
    private LeafWait _recvWait;
    private bool _recvWaiting;
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
        RecvResult<T> result;
        int released;
        short token;
        lock (_lock)
        {
            EnsureNoReceiveLocked();
            if (_queue.Count == 0 && !HasEndedLocked())
            {
                token = BeginWaitLocked(file, line, member, cancellationToken);
                return new ValueTask<RecvResult<T>>(this, token);
            }

            if (Coop.TryConsume())
            {
                result = TakeOneLocked(out released);
                goto Ready;
            }

            token = _recvWait.Begin(this, file, line, member, default);
        }

        YieldThenWake();
        return new ValueTask<RecvResult<T>>(this, token);

    Ready:
        ReleaseSlots(released);
        return new ValueTask<RecvResult<T>>(result);
    }

    public ValueTask<int> RecvManyAsync(IList<T>? list, Memory<T> memory, int limit, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        int taken;
        short token;
        lock (_lock)
        {
            EnsureNoReceiveLocked();
            bool wait = _queue.Count == 0 && !HasEndedLocked();
            if (!wait && Coop.TryConsume())
            {
                taken = TakeManyLocked(list, memory, limit);
                goto Ready;
            }

            _manyList = list;
            _manyMemory = memory;
            _manyLimit = limit;
            if (wait)
            {
                token = BeginWaitLocked(file, line, member, cancellationToken);
                return new ValueTask<int>(this, token);
            }

            token = _recvWait.Begin(this, file, line, member, default);
        }

        YieldThenWake();
        return new ValueTask<int>(this, token);

    Ready:
        ReleaseSlots(IsBounded ? taken : 0);
        return new ValueTask<int>(taken);
    }

    /// <summary>
    /// The coop budget is spent but a message (or the end) is ready: the wait started by the caller is
    /// completed after one trip through the run queue, and GetResult then takes what is ready — it
    /// cannot leave meanwhile, since only this receiver takes messages. The wait is not published in
    /// <c>_recvWaiting</c>, so no sender or canceller completes it; the yield is never cut short.
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
        TryRecvStatus status;
        int released = 0;
        lock (_lock)
        {
            EnsureNoReceiveLocked();
            if (_queue.TryDequeue(out value!))
            {
                status = TryRecvStatus.Received;
                released = IsBounded ? 1 : 0;
            }
            else
            {
                status = HasEndedLocked() ? TryRecvStatus.Closed : TryRecvStatus.Empty;
            }
        }

        ReleaseSlots(released);
        return status;
    }

    private void EnsureNoReceiveLocked()
    {
        if (_recvWaiting || !_recvWait.IsIdle)
        {
            ThrowHelper.ThrowConcurrentReceive();
        }
    }

    private short BeginWaitLocked(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        short token = _recvWait.Begin(this, file, line, member, default);
        _recvWaiting = true;
        // Under the lock, after _recvWaiting is set: a token that fires now finds the wait claimable
        // (TryCancelWait re-enters the lock on this thread).
        _recvWait.RegisterCancellation(this, cancellationToken);
        return token;
    }

    private bool HasEndedLocked() => _queue.Count == 0 && _permits == 0 && (_senders == 0 || _closed);

    /// <summary>Claims the pending receive wait for a completer; the caller completes it after releasing the lock.</summary>
    private bool ClaimReceiverLocked()
    {
        if (!_recvWaiting)
        {
            return false;
        }

        _recvWaiting = false;
        return true;
    }

    private bool ClaimReceiverIfEndedLocked() => HasEndedLocked() && ClaimReceiverLocked();

    private void WakeReceiver()
    {
        bool won = _recvWait.TryComplete(this, null);
        Debug.Assert(won, "the claimer of the receive wait must be its only completer");
    }

    private RecvResult<T> TakeOneLocked(out int released)
    {
        if (_queue.TryDequeue(out T? value))
        {
            released = IsBounded ? 1 : 0;
            return new RecvResult<T>(value);
        }

        Debug.Assert(HasEndedLocked(), "a receive woke with an empty queue before the stream ended");
        released = 0;
        return default;
    }

    private int TakeManyLocked(IList<T>? list, Memory<T> memory, int limit)
    {
        int count = Math.Min(_queue.Count, limit);
        if (list is not null)
        {
            for (int i = 0; i < count; i++)
            {
                list.Add(_queue.Dequeue());
            }
        }
        else
        {
            Span<T> span = memory.Span;
            for (int i = 0; i < count; i++)
            {
                span[i] = _queue.Dequeue();
            }
        }

        Debug.Assert(count > 0 || HasEndedLocked(), "a receive woke with an empty queue before the stream ended");
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
        // Throws for a cancelled wait, which took nothing: the message stays for the next receive.
        _recvWait.GetResult(token);
        RecvResult<T> result;
        int released;
        lock (_lock)
        {
            result = TakeOneLocked(out released);
        }

        ReleaseSlots(released);
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _recvWait.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _recvWait.OnCompleted(this, continuation, state, token, flags);

    int IValueTaskSource<int>.GetResult(short token)
    {
        IList<T>? list = _manyList;
        Memory<T> memory = _manyMemory;
        int limit = _manyLimit;
        try
        {
            // Throws for a cancelled wait, which took nothing: the messages stay for the next receive.
            _recvWait.GetResult(token);
        }
        finally
        {
            // Only the receiving flow touches these; the next receive cannot start before this returns.
            _manyList = null;
            _manyMemory = default;
        }

        int taken;
        lock (_lock)
        {
            taken = TakeManyLocked(list, memory, limit);
        }

        ReleaseSlots(IsBounded ? taken : 0);
        return taken;
    }

    bool ILeaf.TryCancelWait(Exception error) => TryCancelReceive(error);

    bool ILeaf.TryCancelWaitOf(TaskCore task, Exception error) =>
        ReferenceEquals(_recvWait.WaitingTask, task) && TryCancelReceive(error);

    private bool TryCancelReceive(Exception error)
    {
        lock (_lock)
        {
            if (!ClaimReceiverLocked())
            {
                return false;
            }
        }

        return _recvWait.TryComplete(this, error);
    }

    LeafInfo ILeaf.Describe() => _recvWait.Describe("mpsc.recv", $"{Count} queued, {SenderCount} sender(s)");
}
