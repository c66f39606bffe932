using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// The FIFO-fair counting semaphore every queue-based primitive is built on: <c>AsyncSemaphore</c>
/// directly, <c>AsyncMutex&lt;T&gt;</c> with one permit, <c>AsyncRwLock&lt;T&gt;</c> with one permit
/// per reader and all of them for a writer (tokio's design), and bounded mpsc capacity.
/// </summary>
/// <remarks>
/// <para>
/// Invariants (under <c>_lock</c>): permits are handed out strictly in queue order; a waiter at the
/// head that needs more than is available blocks the ones behind it (no barging, so a writer cannot
/// starve); a waiter is completed only by whoever unlinked it.
/// </para>
/// <para>
/// Waiter: queued → (Release hands it its permits and unlinks it → completed true) |
/// (Close unlinks it → completed false) | (cancellation unlinks it → completed with the error, and the
/// waiters behind it are re-examined, since the one that blocked them is gone).
/// </para>
/// <para>Completions happen after the lock is released; they only queue continuations.</para>
/// </remarks>
internal sealed class FairSemaphore : IWaitOwner
{
    private readonly Lock _lock = new();
    private readonly string _kind;
    private readonly int _exclusiveAmount;
    private readonly string? _exclusiveKind;
    // Mutable struct: never readonly.
    private WaitQueue _waiters;
    private int _permits;
    private bool _closed;

    public FairSemaphore(int permits, string kind, int exclusiveAmount = 0, string? exclusiveKind = null)
    {
        _permits = permits;
        _kind = kind;
        _exclusiveAmount = exclusiveAmount;
        _exclusiveKind = exclusiveKind;
    }

    /// <summary>Racy snapshot, for properties and listings.</summary>
    public int Available => Volatile.Read(ref _permits);

    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Racy snapshot of the queue length.</summary>
    public int WaiterCount => _waiters.Count;

    /// <summary>Takes <paramref name="amount"/> permits if they are free and nobody is queued ahead; never waits.</summary>
    public bool TryAcquire(int amount)
    {
        lock (_lock)
        {
            if (_closed || !_waiters.IsEmpty || _permits < amount)
            {
                return false;
            }

            _permits -= amount;
            return true;
        }
    }

    /// <summary>
    /// Waits for <paramref name="amount"/> permits in FIFO order. True when acquired, false when the
    /// semaphore is (or becomes) closed. A cancelled wait takes nothing and leaves the queue.
    /// </summary>
    public ValueTask<bool> AcquireAsync(int amount, string? file, int line, string? member, CancellationToken cancellationToken) =>
        AcquireAsync(amount, BoolResult.Instance, file, line, member, cancellationToken);

    /// <summary>
    /// Waits for <paramref name="amount"/> permits in FIFO order and hands out what
    /// <paramref name="producer"/> makes of the outcome; the returned ValueTask is backed by the
    /// pooled waiter itself.
    /// </summary>
    public ValueTask<TResult> AcquireAsync<TResult>(int amount, IWaitResult<TResult> producer, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_closed)
            {
                return new ValueTask<TResult>(producer.Produce(false, amount));
            }

            if (!_waiters.IsEmpty || _permits < amount)
            {
                SyncWaiter<TResult> waiter = SyncWaiter<TResult>.Rent(this, producer, amount);
                short token = waiter.Begin(file, line, member);
                _waiters.EnqueueLocked(waiter);
                // Under the lock: a token that fires now finds the waiter queued (RemoveWaiter re-enters the lock on this thread).
                waiter.RegisterCancellation(cancellationToken);
                return new ValueTask<TResult>(waiter, token);
            }

            if (Coop.TryConsume())
            {
                _permits -= amount;
                return new ValueTask<TResult>(producer.Produce(true, amount));
            }
        }

        return AcquireAfterYieldAsync(amount, producer, file, line, member, cancellationToken);
    }

    /// <summary>The coop budget ran out: give way once, then acquire (rare: once per 128 ready acquisitions).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResult> AcquireAfterYieldAsync<TResult>(int amount, IWaitResult<TResult> producer, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        return await AcquireAsync(amount, producer, file, line, member, cancellationToken).ConfigureAwait(true);
    }

    private sealed class BoolResult : IWaitResult<bool>
    {
        public static readonly BoolResult Instance = new();

        public bool Produce(bool acquired, int amount) => acquired;
    }

    /// <summary>Adds permits and hands them to queued waiters in order.</summary>
    public void Release(int amount)
    {
        WaitNode? ready;
        lock (_lock)
        {
            if (amount > int.MaxValue - _permits)
            {
                ThrowHelper.ThrowTooManyPermits(amount, _permits);
            }

            _permits += amount;
            ready = TakeReadyLocked();
        }

        SyncWaiter.CompleteChain(ready, true);
    }

    /// <summary>Removes up to <paramref name="amount"/> available permits for good; returns how many.</summary>
    public int Forget(int amount)
    {
        lock (_lock)
        {
            int taken = Math.Min(amount, _permits);
            _permits -= taken;
            return taken;
        }
    }

    /// <summary>Closes the semaphore: queued and later acquisitions report false. Permits still release.</summary>
    public bool Close()
    {
        WaitNode? all;
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            all = _waiters.DrainLocked();
        }

        SyncWaiter.CompleteChain(all, false);
        return true;
    }

    /// <summary>Unlinks the waiters at the head that now fit; the chain is completed after the lock is released.</summary>
    private WaitNode? TakeReadyLocked()
    {
        WaitNode? first = null;
        WaitNode? last = null;
        while (_waiters.Head is SyncWaiter head && head.Amount <= _permits)
        {
            _waiters.RemoveLocked(head);
            _permits -= head.Amount;
            if (last is null)
            {
                first = head;
            }
            else
            {
                last.Next = head;
            }

            last = head;
        }

        return first;
    }

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter)
    {
        WaitNode? ready;
        lock (_lock)
        {
            if (!_waiters.RemoveLocked(waiter))
            {
                return false;
            }

            ready = _closed ? null : TakeReadyLocked();
        }

        SyncWaiter.CompleteChain(ready, true);
        return true;
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter)
    {
        string kind = _exclusiveKind is not null && waiter.Amount >= _exclusiveAmount ? _exclusiveKind : _kind;
        return (kind, $"{Available} permits free, {WaiterCount} waiting, wants {waiter.Amount}");
    }
}
