using System;
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
/// Storage: an <see cref="MpscQueue{T}"/>, a lock-free list of recycled segments (32 to 128 slots, see <see cref="MpscSegment{T}.Capacity"/>). A send
/// claims a position with one atomic add and publishes the value with one release write and a fence; a
/// receive reads in position order without any atomic read-modify-write. Steady state allocates nothing.
/// </para>
/// <para>
/// Hot paths and the lock: sends, receives and the receiver's wait use atomics only. <c>_lock</c>
/// guards the rare changes — sender count, permits (and their token pool), Close, the ClosedAsync
/// waiters — and is never taken by a plain send or receive.
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
/// Closing: the receiver's Close seals the queue with <see cref="MpscQueue{T}.Closed"/> (plain sends
/// fail from then on, atomically with their position claim) and closes the semaphore; Dispose seals it
/// with <see cref="MpscQueue{T}.Disposed"/> too (permit sends fail as well) and drops what is queued.
/// Outstanding permits may still send after Close (as in tokio); they count like senders for the end
/// of the stream. The last strong sender's Dispose seals the queue with <see cref="MpscQueue{T}.Closed"/>
/// and closes the semaphore too: a send of that sender still waiting for room (Dispose on another thread)
/// ends with false instead of queuing after the receiver has seen the end.
/// </para>
/// <para>
/// End of stream: <c>_finished</c> is set (under the lock, once, never cleared) when
/// <c>_permits = 0 ∧ (_senders = 0 ∨ _closed)</c>: from then on no handle can claim a new position
/// (no sender is left, or the queue is sealed — Close seals before it can set the flag). The stream
/// has ended when <c>_finished</c> is set and the consumer has read every claimed position (read in
/// that order); once true it stays true. A permit send claims its position before the permit count
/// drops, so the flag never races ahead of a message.
/// </para>
/// <para>
/// Receiver wait (tokio's AtomicWaker): <c>_recvState</c> = generation &lt;&lt; 1 | waiting.
/// Idle → Waiting (RecvAsync finds nothing ready and the stream not ended; begins the LeafWait,
/// then publishes a new generation with the waiting bit by an interlocked exchange, then looks again
/// and takes the wait back itself if something showed up meanwhile) → claimed by exactly one
/// compare-exchange that clears the bit of that generation: a sender whose message is now the next to
/// read, an end-of-stream change once the stream has ended, a cancellation (token, abort, timeout), or
/// the receiver taking it back → the claimer completes the LeafWait → GetResult takes the next message
/// (nothing when cancelled, so a cancelled receive loses no message) → Idle. Nobody claims a wait
/// unless the next message is ready or the stream has ended, so a woken receive always finds one or
/// the other; the generation keeps a late claimer from clearing a later wait (ABA).
/// </para>
/// <para>
/// No lost wake-up (Dekker pairing): a sender writes the slot's state (then a full fence) and then reads
/// <c>_recvState</c>; a closer sets <c>_finished</c> (full fence) and then reads it; the receiver
/// publishes the waiting bit (full fence) and then re-reads the queue and <c>_finished</c>. Either
/// the waker sees the waiting bit, or the receiver sees the message or the end. A send refused
/// after it claimed a position (it raced the seal) writes a skipped state the same way, so a receiver
/// waiting for the end is woken once the skipped slot no longer holds the end back.
/// </para>
/// <para>
/// Sender side closing waits (<c>ClosedAsync</c>) are pooled <see cref="SyncWaiter"/>s in
/// <c>_closedWaiters</c>; Close, Dispose or the last sender's Dispose drains them.
/// </para>
/// </remarks>
internal sealed partial class MpscChannel<T> : IWaitOwner
{
    private readonly Lock _lock = new();
    private readonly MpscQueue<T> _queue = new();
    private readonly FairSemaphore? _slots;
    private readonly int _maxCapacity;
    // Mutable struct: never readonly.
    private WaitQueue _closedWaiters;
    private MpscPermitToken? _freeTokens;
    private int _senders;
    private int _permits;
    private bool _closed;
    private bool _disposed;
    // 0 → 1 by whoever drops the queue of the disposed receiver (Close or the receive in flight at it).
    private int _drained;
    // 0 → 1 once, under the lock; see the design comment.
    private int _finished;

    /// <summary>Creates a channel with one strong sender; <paramref name="capacity"/> 0 means unbounded.</summary>
    public MpscChannel(int capacity)
    {
        Debug.Assert(capacity >= 0, "capacity is validated by the factory");
        _maxCapacity = capacity;
        _slots = capacity == 0 ? null : new FairSemaphore(capacity, "mpsc.send");
        _senders = 1;
    }

    public bool IsBounded => _slots is not null;

    public int MaxCapacity => _maxCapacity;

    /// <summary>Racy snapshot of the free slots of a bounded channel.</summary>
    public int AvailableCapacity => _slots?.Available ?? int.MaxValue;

    /// <summary>Whether the receiver is closed or disposed (racy snapshot; the queue's seal decides for sends).</summary>
    // Written under the lock with Volatile.Write; an unlocked reader only needs a recent value.
    public bool IsReceiverClosed => Volatile.Read(ref _closed);

    /// <summary>Racy snapshot of the queued messages (a send in flight counts).</summary>
    public int Count => _queue.Count;

    /// <summary>Racy snapshot of the strong sender count.</summary>
    // Written under the lock with Volatile.Write; listings only need a recent value.
    public int SenderCount => Volatile.Read(ref _senders);

    // ---- senders -------------------------------------------------------------------------------

    /// <summary>Adds a strong sender for a clone of a live sender.</summary>
    public void AddSender()
    {
        lock (_lock)
        {
            Debug.Assert(_senders > 0, "a live sender keeps the count above zero");
            // Unlocked readers only take snapshots (SenderCount).
            Volatile.Write(ref _senders, _senders + 1);
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

            // As in AddSender.
            Volatile.Write(ref _senders, _senders + 1);
            return true;
        }
    }

    /// <summary>Drops a strong sender; the last one ends the stream and releases pending ClosedAsync waits.</summary>
    public void RemoveSender()
    {
        WaitNode? closedWaiters = null;
        bool last;
        lock (_lock)
        {
            Debug.Assert(_senders > 0, "more senders removed than added");
            // As in AddSender. This sender's sends claimed their positions before this point.
            Volatile.Write(ref _senders, _senders - 1);
            last = _senders == 0;
            if (last)
            {
                // A send of this (just disposed) sender still waiting for room, or between its slot and its
                // claim, must not queue after the receiver saw the end: plain sends are refused from here
                // on (permits still send; they hold the stream open themselves).
                _queue.Seal(MpscQueue<T>.Closed);
                // Every ClosedAsync wait belongs to a sender, and none is left to care.
                closedWaiters = _closedWaiters.DrainLocked();
                UpdateFinishedLocked();
            }
        }

        if (last)
        {
            // Waiting SendAsync and ReserveAsync calls end with false / null (the semaphore is closed at most once).
            _slots?.Close();
        }

        SyncWaiter.CompleteChain(closedWaiters, true);
        WakeReceiverIfParkedAndReady();
    }

    /// <summary>Queues a value that already owns a slot (bounded) or needs none (unbounded). False if the receiver is closed.</summary>
    public bool TryEnqueue(T value, bool ownsSlot)
    {
        if (!_queue.TryEnqueue(value, MpscQueue<T>.Closed | MpscQueue<T>.Disposed))
        {
            if (ownsSlot)
            {
                _slots!.Release(1);
            }

            // A send that raced the seal may have claimed a position and skipped it; a receiver parked
            // until every position is read needs to look again (see MpscQueue's sealing).
            WakeReceiverIfParkedAndReady();
            return false;
        }

        WakeReceiverIfParkedAndReady();
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
            // No permit once the receiver closed, or once the last sender is gone (the stream may have ended).
            if (!_closed && _senders > 0)
            {
                MpscPermitToken token = _freeTokens ?? new MpscPermitToken();
                _freeTokens = token.NextFree;
                token.NextFree = null;
                // _finished stays clear while a permit is out (it is only set at zero permits).
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
        bool queued;
        lock (_lock)
        {
            if (token.Version != version)
            {
                ThrowHelper.ThrowPermitNotUsable();
            }

            // Claim the position before the permit count drops, so _finished cannot be set while this
            // message is not yet counted in the queue's tail. Close does not refuse it; Dispose does.
            queued = _queue.TryEnqueue(value, MpscQueue<T>.Disposed);
            bool retired = TryRetireLocked(token, version);
            Debug.Assert(retired, "the version was checked above under the same lock");
            UpdateFinishedLocked();
        }

        if (!queued)
        {
            _slots!.Release(1);
        }

        WakeReceiverIfParkedAndReady();
    }

    /// <summary>Returns an unused permit's slot; a stale or default permit does nothing.</summary>
    public void ReleasePermit(MpscPermitToken token, int version)
    {
        lock (_lock)
        {
            if (!TryRetireLocked(token, version))
            {
                return;
            }

            UpdateFinishedLocked();
        }

        _slots!.Release(1);
        WakeReceiverIfParkedAndReady();
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

    /// <summary>
    /// Sets <c>_finished</c> once no handle can claim a new position any more. The caller then calls
    /// <see cref="WakeReceiverIfParkedAndReady"/> after releasing the lock.
    /// </summary>
    private void UpdateFinishedLocked()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the handle counts are read under the lock");
        if (_finished == 0 && _permits == 0 && (_senders == 0 || _closed))
        {
            Debug.Assert(_senders == 0 || _queue.IsSealed, "Close seals the queue before the stream can finish");
            // Full fence before the caller reads _recvState (pairs with the exchange in BeginWait, Dekker);
            // release for the receiver's Volatile.Read in HasEnded, which then reads the final tail.
            Interlocked.Exchange(ref _finished, 1);
        }
    }

    /// <summary>Closes the receiving side; with <paramref name="dispose"/> the queued messages are dropped too.</summary>
    public void Close(bool dispose)
    {
        WaitNode? closedWaiters;
        bool closeSlots;
        lock (_lock)
        {
            if (_disposed || (_closed && !dispose))
            {
                return;
            }

            closeSlots = !_closed;
            // Snapshot readers only (IsReceiverClosed); the seal below is what refuses sends.
            Volatile.Write(ref _closed, true);
            _queue.Seal(dispose ? MpscQueue<T>.Closed | MpscQueue<T>.Disposed : MpscQueue<T>.Closed);
            // Read without the lock by a receive that ends after this (EndReceive).
            Volatile.Write(ref _disposed, dispose);
            closedWaiters = _closedWaiters.DrainLocked();
            UpdateFinishedLocked();
        }

        if (closeSlots)
        {
            _slots?.Close();
        }

        SyncWaiter.CompleteChain(closedWaiters, true);
        WakeReceiverIfParkedAndReady();
        if (dispose)
        {
            // Full fence between setting _disposed (above) and reading the receive's state (pairs with EndReceive).
            Interlocked.MemoryBarrier();
            DrainIfDisposed();
        }
    }

    /// <summary>
    /// Drops the queued messages of a disposed receiver, once. The consumer side is the receiver's: only
    /// when no receive is in flight. A receive pending at the Dispose takes the message that woke it
    /// and drops the rest when it ends (later receives throw ObjectDisposedException).
    /// </summary>
    private void DrainIfDisposed()
    {
        if (!_recvWait.IsIdle || Interlocked.Exchange(ref _drained, 1) != 0)
        {
            return;
        }

        int dropped = _queue.Drain();
        if (dropped > 0)
        {
            // Keeps Capacity honest for a sender that looks after the receiver is gone.
            _slots?.Release(dropped);
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

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version)
    {
        lock (_lock)
        {
            return waiter.IsWait(version) && _closedWaiters.RemoveLocked(waiter);
        }
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) =>
        ("mpsc.closed", $"receiver open, {SenderCount} sender(s)");
}
