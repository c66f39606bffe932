using System;
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
/// Permits live in <c>_permits</c>, changed only by interlocked operations, so an uncontended
/// acquire is one CAS and a release one atomic add, with no lock. The waiter queue is guarded by
/// <c>_lock</c>; <c>_waiting</c> mirrors its length for the lock-free paths.
/// </para>
/// <para>
/// Invariants: while anyone is queued, permits go to the queue strictly in order (the fast path is
/// closed as soon as <c>_waiting</c> is non-zero); a waiter at the head that needs more than is
/// available holds back the ones behind it (no barging, so a writer cannot starve); a waiter is
/// completed only by whoever unlinked it.
/// </para>
/// <para>
/// No lost wake-up (Dekker pairing): a releaser adds permits and then reads <c>_waiting</c>; a
/// waiter increments <c>_waiting</c> and then re-examines the permits. Both steps are full fences,
/// so either the releaser sees the waiter and drains the queue under the lock, or the waiter sees
/// the permits and serves itself.
/// </para>
/// <para>
/// Waiter: queued → (a release hands it its permits and unlinks it → completed true) |
/// (Close unlinks it → completed false) | (cancellation unlinks it → completed with the error, and
/// the waiters behind it are re-examined, since the one that blocked them is gone).
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
    private int _waiting;
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
    public int WaiterCount => Volatile.Read(ref _waiting);

    /// <summary>Takes <paramref name="amount"/> permits if they are free and nobody is queued ahead; never waits.</summary>
    public bool TryAcquire(int amount)
    {
        if (Volatile.Read(ref _closed))
        {
            return false;
        }

        // Not taking the lock: a waiter that queues concurrently closes the fast path only once it is queued.
        return Volatile.Read(ref _waiting) == 0 && TryTakePermits(amount);
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
        if (TryAcquire(amount))
        {
            if (Coop.TryConsume())
            {
                return new ValueTask<TResult>(producer.Produce(true, amount));
            }

            // Budget spent: give the permits back (holding them while descheduled would stall the
            // other workers) and acquire again in the task's next poll, after it went to the back of
            // the run queue. The pooled waiter carries the wait, so the forced yield allocates nothing.
            Release(amount);
            SyncWaiter<TResult> deferred = SyncWaiter<TResult>.Rent(this, producer, amount);
            short deferredToken = deferred.Begin(file, line, member);
            deferred.DeferredToken = cancellationToken;
            TaskCore task = TaskCore.Current!;
            // The deferred step runs in the task's next poll, outside this flow: it gets the scope from here.
            deferred.DeferredScope = task.CurrentScope;
            task.EnqueueYield(s_acquireAfterYield, deferred);
            return new ValueTask<TResult>(deferred, deferredToken);
        }

        return AcquireSlow(amount, producer, file, line, member, cancellationToken);
    }

    private ValueTask<TResult> AcquireSlow<TResult>(int amount, IWaitResult<TResult> producer, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        SyncWaiter<TResult> waiter;
        short token;
        WaitNode? ready;
        lock (_lock)
        {
            if (_closed)
            {
                return new ValueTask<TResult>(producer.Produce(false, amount));
            }

            if (_waiters.IsEmpty && TryTakePermits(amount))
            {
                // Permits came back between the fast path and the lock.
                return new ValueTask<TResult>(producer.Produce(true, amount));
            }

            waiter = SyncWaiter<TResult>.Rent(this, producer, amount);
            token = waiter.Begin(file, line, member);
            _waiters.EnqueueLocked(waiter);
            // Full fence before re-reading the permits in TakeReadyLocked (pairs with the add-then-read in Release).
            Interlocked.Increment(ref _waiting);
            // Under the lock: a token that fires now finds the waiter queued (RemoveWaiter re-enters the lock on this thread).
            waiter.RegisterCancellation(cancellationToken);
            // A release that did not see us yet may have left permits behind; the head (maybe us) takes them.
            ready = TakeReadyLocked();
        }

        SyncWaiter.CompleteChain(ready, true);
        return new ValueTask<TResult>(waiter, token);
    }

    private static readonly Action<object?> s_acquireAfterYield = static state =>
    {
        var waiter = (SyncWaiter)state!;
        ((FairSemaphore)waiter.Owner!).AcquireAfterYield(waiter);
    };

    /// <summary>Runs in the task's poll after a forced yield: the deferred wait takes permits or joins the queue.</summary>
    private void AcquireAfterYield(SyncWaiter waiter)
    {
        CancellationToken cancellationToken = waiter.DeferredToken;
        try
        {
            // Abort, an expired timeout or the token may have fired while the task was yielding (a timeout
            // that fired then could not end the wait: it was in no queue).
            TaskCore.Current?.ThrowIfCancelled(waiter.DeferredScope);
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException error)
        {
            waiter.Fail(error);
            return;
        }

        bool? outcome = null;
        WaitNode? ready = null;
        lock (_lock)
        {
            if (_closed)
            {
                outcome = false;
            }
            else if (_waiters.IsEmpty && TryTakePermits(waiter.Amount))
            {
                outcome = true;
            }
            else
            {
                _waiters.EnqueueLocked(waiter);
                // Full fence before re-reading the permits (pairs with the add-then-read in Release).
                Interlocked.Increment(ref _waiting);
                waiter.RegisterCancellation(cancellationToken);
                ready = TakeReadyLocked();
            }
        }

        if (outcome is { } acquired)
        {
            waiter.Complete(acquired);
        }
        else
        {
            // The waiter was registered with the task before it joined the queue (at the forced yield): an
            // abort or expiring timeout between the check above and the enqueue found it in no queue and
            // could not end it. Now that it is queued (or already granted), end it here if so.
            try
            {
                TaskCore.Current?.ThrowIfCancelled(waiter.DeferredScope);
            }
            catch (OperationCanceledException error)
            {
                waiter.TryCancelWait(error);
            }
        }

        SyncWaiter.CompleteChain(ready, true);
    }

    /// <summary>Adds permits and hands them to queued waiters in order; more than <see cref="int.MaxValue"/> available means a permit was released twice.</summary>
    public void Release(int amount)
    {
        if (!TryRelease(amount, int.MaxValue, out int available))
        {
            ThrowHelper.ThrowReleasedTwice(amount, available, int.MaxValue);
        }
    }

    /// <summary>
    /// Adds permits and hands them to queued waiters in order, unless that would make more than
    /// <paramref name="limit"/> available: then nothing changes and <paramref name="available"/> is the count seen.
    /// </summary>
    public bool TryRelease(int amount, int limit, out int available)
    {
        int current = Volatile.Read(ref _permits);
        while (true)
        {
            if (amount > limit - current)
            {
                available = current;
                return false;
            }

            // Full fence before reading _waiting below (pairs with the increment-then-recheck in AcquireSlow).
            int seen = Interlocked.CompareExchange(ref _permits, current + amount, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        available = current + amount;
        if (Volatile.Read(ref _waiting) == 0)
        {
            return true;
        }

        WaitNode? ready;
        lock (_lock)
        {
            ready = TakeReadyLocked();
        }

        SyncWaiter.CompleteChain(ready, true);
        return true;
    }

    /// <summary>Removes up to <paramref name="amount"/> available permits for good; returns how many.</summary>
    public int Forget(int amount)
    {
        int current = Volatile.Read(ref _permits);
        while (true)
        {
            int taken = Math.Min(amount, current);
            int seen = Interlocked.CompareExchange(ref _permits, current - taken, current);
            if (seen == current)
            {
                return taken;
            }

            current = seen;
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

            Volatile.Write(ref _closed, true);
            all = _waiters.DrainLocked();
            Volatile.Write(ref _waiting, 0);
        }

        SyncWaiter.CompleteChain(all, false);
        return true;
    }

    private bool TryTakePermits(int amount)
    {
        int current = Volatile.Read(ref _permits);
        while (current >= amount)
        {
            // CAS: fast acquirers and releasers change the count without the lock.
            int seen = Interlocked.CompareExchange(ref _permits, current - amount, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Unlinks the waiters at the head that now fit; the chain is completed after the lock is released.</summary>
    private WaitNode? TakeReadyLocked()
    {
        WaitNode? first = null;
        WaitNode? last = null;
        while (_waiters.Head is SyncWaiter head && TryTakePermits(head.Amount))
        {
            _waiters.RemoveLocked(head);
            Interlocked.Decrement(ref _waiting);
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

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version)
    {
        WaitNode? ready;
        lock (_lock)
        {
            if (!waiter.IsWait(version) || !_waiters.RemoveLocked(waiter))
            {
                return false;
            }

            Interlocked.Decrement(ref _waiting);
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

    private sealed class BoolResult : IWaitResult<bool>
    {
        public static readonly BoolResult Instance = new();

        public bool Produce(bool acquired, int amount) => acquired;
    }
}
