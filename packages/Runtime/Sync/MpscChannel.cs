using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// The shared state of one mpsc channel (tokio's <c>sync::mpsc::chan</c>): the message queue, the
/// sender and permit counts, the receiver's embedded wait and, for a bounded channel, the capacity
/// semaphore. The public sender, receiver and permit types are thin handles over it.
/// </summary>
/// <remarks>
/// <para>
/// Storage: a <see cref="Queue{T}"/> under <c>_lock</c> — a growable ring buffer that never shrinks,
/// so a channel in steady state allocates nothing per message.
/// </para>
/// <para>
/// Capacity (bounded only): <c>_slots</c> is a <see cref="FairSemaphore"/> with one permit per slot.
/// A sender takes a slot before it queues (SendAsync, TrySend) or when it reserves (an
/// <see cref="MpscPermit{T}"/>); the slot travels with the message and is released when the receiver
/// takes it, or when a permit is disposed unused. Invariant: queued + outstanding permits + sends
/// between acquire and queue ≤ capacity. Waiting senders queue FIFO in the semaphore, so a cancelled
/// sender's place goes to the one behind it and no slot is lost.
/// </para>
/// <para>
/// Closing: the receiver's Close or Dispose sets <c>_closed</c> and closes the semaphore (waiting
/// senders get false). A send or reservation completes only if <c>_closed</c> is still clear when it
/// reaches the lock, which is the single point that decides whether a value enters the queue.
/// Outstanding permits may still send after Close (as in tokio); they count like senders for the end
/// of the stream. The stream has ended when, under the lock:
/// <c>queue empty ∧ _permits = 0 ∧ (_senders = 0 ∨ _closed)</c>; once true it stays true.
/// </para>
/// <para>
/// Receiver wait: Idle → Waiting (RecvAsync finds nothing and the stream has not ended; sets
/// <c>_recvWaiting</c> under the lock) → claimed by exactly one of: a send (queued a message), the end
/// of the stream (last sender or permit gone, Close), or cancellation (token, abort, timeout) — each
/// claims by clearing <c>_recvWaiting</c> under the lock, and only the claimer completes the wait,
/// outside the lock → GetResult takes the message under the lock (nothing when cancelled, so a
/// cancelled receive loses no message) → Idle. Claiming under the lock is what keeps a late
/// completer from completing a later wait spuriously.
/// </para>
/// <para>
/// Sender side closing waits (<c>ClosedAsync</c>) are pooled <see cref="SyncWaiter"/>s in
/// <c>_closedWaiters</c>; Close, Dispose or the last sender's Dispose drains them.
/// </para>
/// </remarks>
internal sealed partial class MpscChannel<T> : IWaitOwner
{
    /// <summary>Initial ring size: small enough for the many short-lived channels, grown by doubling on demand (same start as the BCL's bounded channel).</summary>
    private const int InitialQueueCapacity = 32;

    private readonly Lock _lock = new();
    private readonly Queue<T> _queue;
    private readonly FairSemaphore? _slots;
    private readonly int _maxCapacity;
    // Mutable struct: never readonly.
    private WaitQueue _closedWaiters;
    private MpscPermitToken? _freeTokens;
    private int _senders;
    private int _permits;
    private bool _closed;
    private bool _disposed;

    /// <summary>Creates a channel with one strong sender; <paramref name="capacity"/> 0 means unbounded.</summary>
    public MpscChannel(int capacity)
    {
        Debug.Assert(capacity >= 0, "capacity is validated by the factory");
        _maxCapacity = capacity;
        _queue = new Queue<T>(capacity == 0 ? 0 : Math.Min(capacity, InitialQueueCapacity));
        _slots = capacity == 0 ? null : new FairSemaphore(capacity, "mpsc.send");
        _senders = 1;
    }

    public bool IsBounded => _slots is not null;

    public int MaxCapacity => _maxCapacity;

    /// <summary>Racy snapshot of the free slots of a bounded channel.</summary>
    public int AvailableCapacity => _slots?.Available ?? int.MaxValue;

    /// <summary>Whether the receiver is closed or disposed (racy snapshot; the lock decides for sends).</summary>
    // Written under the lock; an unlocked reader only needs a recent value.
    public bool IsReceiverClosed => Volatile.Read(ref _closed);

    /// <summary>Racy snapshot of the queue length (Queue.Count is one field read).</summary>
    public int Count => _queue.Count;

    /// <summary>Racy snapshot of the strong sender count.</summary>
    // Written under the lock; listings only need a recent value.
    public int SenderCount => Volatile.Read(ref _senders);

    // ---- senders -------------------------------------------------------------------------------

    /// <summary>Adds a strong sender for a clone of a live sender.</summary>
    public void AddSender()
    {
        lock (_lock)
        {
            Debug.Assert(_senders > 0, "a live sender keeps the count above zero");
            _senders++;
        }
    }

    /// <summary>Adds a strong sender for a weak one, unless every strong sender is already gone.</summary>
    public bool TryAddSender()
    {
        lock (_lock)
        {
            if (_senders == 0)
            {
                return false;
            }

            _senders++;
            return true;
        }
    }

    /// <summary>Drops a strong sender; the last one ends the stream and releases pending ClosedAsync waits.</summary>
    public void RemoveSender()
    {
        WaitNode? closedWaiters = null;
        bool wake = false;
        lock (_lock)
        {
            Debug.Assert(_senders > 0, "more senders removed than added");
            if (--_senders == 0)
            {
                // Every ClosedAsync wait belongs to a sender, and none is left to care.
                closedWaiters = _closedWaiters.DrainLocked();
                wake = ClaimReceiverIfEndedLocked();
            }
        }

        SyncWaiter.CompleteChain(closedWaiters, true);
        if (wake)
        {
            WakeReceiver();
        }
    }

    /// <summary>Queues a value that already owns a slot (bounded) or needs none (unbounded). False if the receiver is closed.</summary>
    public bool TryEnqueue(T value, bool ownsSlot)
    {
        bool accepted;
        bool wake = false;
        lock (_lock)
        {
            accepted = !_closed;
            if (accepted)
            {
                _queue.Enqueue(value);
                wake = ClaimReceiverLocked();
            }
        }

        if (!accepted)
        {
            if (ownsSlot)
            {
                _slots!.Release(1);
            }

            return false;
        }

        if (wake)
        {
            WakeReceiver();
        }

        return true;
    }

    public ValueTask<bool> SendAsync(T value, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ValueTask<bool> acquire = _slots!.AcquireAsync(1, file, line, member, cancellationToken);
        if (acquire.IsCompletedSuccessfully)
        {
            return new ValueTask<bool>(acquire.Result && TryEnqueue(value, ownsSlot: true));
        }

        return MpscSendOperation<T>.Start(this, value, acquire);
    }

    public TrySendStatus TrySend(T value)
    {
        if (IsReceiverClosed)
        {
            return TrySendStatus.Closed;
        }

        if (!_slots!.TryAcquire(1))
        {
            return _slots.IsClosed ? TrySendStatus.Closed : TrySendStatus.Full;
        }

        return TryEnqueue(value, ownsSlot: true) ? TrySendStatus.Sent : TrySendStatus.Closed;
    }

    // ---- permits -------------------------------------------------------------------------------

    public ValueTask<MpscPermit<T>?> ReserveAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ValueTask<bool> acquire = _slots!.AcquireAsync(1, file, line, member, cancellationToken);
        if (acquire.IsCompletedSuccessfully)
        {
            return new ValueTask<MpscPermit<T>?>(acquire.Result ? TryCreatePermit() : null);
        }

        return ReserveAfterAcquireAsync(acquire);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MpscPermit<T>?> ReserveAfterAcquireAsync(ValueTask<bool> acquire) =>
        await acquire.ConfigureAwait(true) ? TryCreatePermit() : null;

    public TrySendStatus TryReserve(out MpscPermit<T> permit)
    {
        permit = default;
        if (IsReceiverClosed)
        {
            return TrySendStatus.Closed;
        }

        if (!_slots!.TryAcquire(1))
        {
            return _slots.IsClosed ? TrySendStatus.Closed : TrySendStatus.Full;
        }

        MpscPermit<T>? created = TryCreatePermit();
        if (created is null)
        {
            return TrySendStatus.Closed;
        }

        permit = created.GetValueOrDefault();
        return TrySendStatus.Sent;
    }

    /// <summary>Turns an acquired slot into a permit; null (and the slot released) if the receiver closed meanwhile.</summary>
    private MpscPermit<T>? TryCreatePermit()
    {
        lock (_lock)
        {
            if (!_closed)
            {
                MpscPermitToken token = _freeTokens ?? new MpscPermitToken();
                _freeTokens = token.NextFree;
                token.NextFree = null;
                _permits++;
                return new MpscPermit<T>(this, token, token.Version);
            }
        }

        _slots!.Release(1);
        return null;
    }

    /// <summary>Consumes a permit: queues the value in the permit's slot (dropped if the receiver is disposed).</summary>
    public void SendWithPermit(MpscPermitToken token, int version, T value)
    {
        bool wake;
        bool releaseSlot = false;
        lock (_lock)
        {
            if (!TryRetireLocked(token, version))
            {
                ThrowHelper.ThrowPermitNotUsable();
            }

            if (_disposed)
            {
                releaseSlot = true;
                wake = ClaimReceiverIfEndedLocked();
            }
            else
            {
                _queue.Enqueue(value);
                wake = ClaimReceiverLocked();
            }
        }

        if (releaseSlot)
        {
            _slots!.Release(1);
        }

        if (wake)
        {
            WakeReceiver();
        }
    }

    /// <summary>Returns an unused permit's slot; a stale or default permit does nothing.</summary>
    public void ReleasePermit(MpscPermitToken token, int version)
    {
        bool wake;
        lock (_lock)
        {
            if (!TryRetireLocked(token, version))
            {
                return;
            }

            wake = ClaimReceiverIfEndedLocked();
        }

        _slots!.Release(1);
        if (wake)
        {
            WakeReceiver();
        }
    }

    private bool TryRetireLocked(MpscPermitToken token, int version)
    {
        if (token.Version != version)
        {
            return false;
        }

        // Every copy of the permit goes stale; the slot is reused by the next reservation.
        token.Version = unchecked(version + 1);
        token.NextFree = _freeTokens;
        _freeTokens = token;
        _permits--;
        Debug.Assert(_permits >= 0, "more permits retired than created");
        return true;
    }

    // ---- closing -------------------------------------------------------------------------------

    /// <summary>Closes the receiving side; with <paramref name="dispose"/> the queued messages are dropped too.</summary>
    public void Close(bool dispose)
    {
        WaitNode? closedWaiters;
        bool wake;
        int dropped = 0;
        bool closeSlots;
        lock (_lock)
        {
            if (_disposed || (_closed && !dispose))
            {
                return;
            }

            closeSlots = !_closed;
            _closed = true;
            if (dispose)
            {
                _disposed = true;
                dropped = _queue.Count;
                _queue.Clear();
            }

            closedWaiters = _closedWaiters.DrainLocked();
            wake = ClaimReceiverIfEndedLocked();
        }

        if (closeSlots)
        {
            _slots?.Close();
        }

        if (dropped > 0)
        {
            // Keeps Capacity honest for a sender that looks after the receiver is gone.
            _slots?.Release(dropped);
        }

        SyncWaiter.CompleteChain(closedWaiters, true);
        if (wake)
        {
            WakeReceiver();
        }
    }

    public ValueTask ClosedAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_closed)
            {
                SyncWaiter waiter = SyncWaiter.Rent(this, 0);
                short token = waiter.Begin(file, line, member);
                _closedWaiters.EnqueueLocked(waiter);
                // Under the lock: a token that fires now finds the waiter queued (RemoveWaiter re-enters the lock on this thread).
                waiter.RegisterCancellation(cancellationToken);
                return new ValueTask(waiter, token);
            }
        }

        return Coop.TryConsume() ? default : ClosedAfterYieldAsync(file, line, member, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ClosedAfterYieldAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        await ClosedAsync(file, line, member, cancellationToken).ConfigureAwait(true);
    }

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter)
    {
        lock (_lock)
        {
            return _closedWaiters.RemoveLocked(waiter);
        }
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) =>
        ("mpsc.closed", $"receiver open, {SenderCount} sender(s)");
}
