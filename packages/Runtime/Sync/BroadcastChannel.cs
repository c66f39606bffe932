using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// The state a broadcast channel's senders and receivers share: a ring of values, the position of
/// the next send, the receivers' count and the receivers waiting for a send.
/// </summary>
/// <remarks>
/// <para>
/// Positions: every send gets the next position <c>p = _tail++</c> and lives in slot
/// <c>p &amp; _mask</c> until send <c>p + Capacity</c> overwrites it, so the ring holds positions
/// <c>[max(0, _tail - Capacity), _tail)</c>. A receiver is a cursor (<see cref="BroadcastCursor{T}"/>)
/// holding the next position it will read. Reading position <c>n</c>:
/// <c>n == _tail</c> → nothing yet (wait, or Closed once every sender is gone);
/// <c>n &lt; _tail - Capacity</c> → Lagged by <c>_tail - Capacity - n</c>, cursor jumps to
/// <c>_tail - Capacity</c> (tokio's rule: the oldest retained value comes next);
/// otherwise → the value, cursor advances.
/// </para>
/// <para>
/// Invariants (under <c>_lock</c>): a slot's <c>Remaining</c> counts the live receivers that have not
/// read it yet; it is set to the receiver count by the send that fills the slot, and decremented when a
/// receiver reads the slot or is disposed while behind it. Every receiver counted in a retained slot
/// existed when that slot was written (receivers start at <c>_tail</c>), so the counts never go
/// negative. When a count reaches 0 the slot drops its value (if <c>T</c> holds references), so a
/// value read by everyone is not kept alive by the ring.
/// </para>
/// <para>
/// Waiting: a receiver with nothing to read queues its cursor (a <see cref="WaitNode"/>, so waking
/// allocates nothing) in <c>_waiters</c>. A send or the last sender's dispose drains the whole queue
/// under the lock and completes the cursors after releasing it; a completed cursor reads its result
/// in GetResult, so a value that arrives between the wake and the read is not missed, and a lag that
/// happens meanwhile is reported. Cursor: idle → queued (RecvAsync) → unlinked by exactly one of
/// {send/close drain, receiver dispose, cancellation} → completed by that unlinker → result read.
/// </para>
/// <para>
/// Close: 1. the last sender's dispose sets <c>_closed</c> and drains the waiters under the lock;
/// 2. each woken receiver reads its remaining values first and then gets Closed; 3. a send can no
/// longer happen (only a live sender handle sends, and the last one is gone).
/// </para>
/// <para>
/// One lock for everything (tokio uses a mutex for the tail and a lock per slot): receives are
/// short copies, and a single lock keeps lag detection, counts and value release exact.
/// </para>
/// <para>
/// Batches: a receive that takes a value from the ring also takes the values after it that are
/// already there, up to <see cref="BroadcastCursor{T}.Batch.Capacity"/> in all, into its receiver's
/// batch, releasing their slots as reads; the next receives return them without the lock. So a
/// receiver that is behind takes the lock once per batch instead of once per value, and the sender
/// and the other receivers seldom wait for it (one lock shared by a sender and four receivers on two
/// cores spent about half its time contended). A batched value counts as read: it can no longer be
/// overwritten before the receiver sees it, and it no longer counts in <see cref="Len"/>. Order, lag
/// reports for what was not taken, close and cancellation are as without batches: a batch is always
/// returned before anything later, and a cancelled receive takes nothing from it.
/// </para>
/// </remarks>
internal sealed class BroadcastChannel<T>
{
    private readonly Lock _lock = new();
    private readonly Slot[] _slots;
    private readonly int _mask;
    // Mutable struct: never readonly.
    private WaitQueue _waiters;
    private long _tail;
    private int _receiverCount;
    private int _senderCount = 1;
    private bool _closed;

    public BroadcastChannel(int capacity)
    {
        if (capacity < 1 || capacity > 1 << 30)
        {
            ThrowHelper.ThrowBadBroadcastCapacity(capacity);
        }

        // tokio rounds up too: a power of two turns the slot index into a mask.
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        _slots = new Slot[size];
        _mask = size - 1;
    }

    public int Capacity => _slots.Length;

    // Racy snapshot for properties and listings; written under _lock.
    public int ReceiverCount => Volatile.Read(ref _receiverCount);

    // Racy snapshot for properties; written under _lock.
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Values still queued for at least one receiver (tokio's <c>Sender::len</c>).</summary>
    public int Len
    {
        get
        {
            lock (_lock)
            {
                // Counts are non-increasing from newest to oldest (see the invariants), so the queued
                // values are a suffix of the retained ones.
                int len = 0;
                long oldest = Math.Max(0, _tail - _slots.Length);
                for (long p = _tail - 1; p >= oldest && _slots[(int)(p & _mask)].Remaining > 0; p--)
                {
                    len++;
                }

                return len;
            }
        }
    }

    /// <summary>Stores <paramref name="value"/> for every current receiver; returns how many (0: dropped).</summary>
    public int Send(T value)
    {
        WaitNode? woken;
        int receivers;
        lock (_lock)
        {
            receivers = _receiverCount;
            if (receivers == 0 || _closed)
            {
                return 0;
            }

            ref Slot slot = ref _slots[(int)(_tail & _mask)];
            slot.Value = value;
            slot.Remaining = receivers;
            // Racy readers (Describe) only; every decision reads _tail under _lock.
            Volatile.Write(ref _tail, _tail + 1);
            woken = _waiters.DrainLocked();
        }

        BroadcastCursor<T>.CompleteChain(woken);
        return receivers;
    }

    /// <summary>A new receiver that sees every value sent from now on.</summary>
    public BroadcastCursor<T> Subscribe()
    {
        var cursor = new BroadcastCursor<T>(this);
        lock (_lock)
        {
            cursor.Position = _tail;
            _receiverCount++;
        }

        return cursor;
    }

    public void AddSender()
    {
        lock (_lock)
        {
            Debug.Assert(_senderCount > 0 && !_closed, "a sender was cloned from a closed channel");
            _senderCount++;
        }
    }

    /// <summary>Drops one sender; the last one closes the channel and wakes every waiting receiver.</summary>
    public void RemoveSender()
    {
        WaitNode? woken;
        lock (_lock)
        {
            if (--_senderCount > 0)
            {
                return;
            }

            _closed = true;
            woken = _waiters.DrainLocked();
        }

        BroadcastCursor<T>.CompleteChain(woken);
    }

    /// <summary>Disposes a receiver: releases its claim on the values it has not read and ends its wait.</summary>
    public void RemoveReceiver(BroadcastCursor<T> cursor)
    {
        bool wasWaiting;
        lock (_lock)
        {
            if (cursor.IsDisposed)
            {
                return;
            }

            cursor.IsDisposed = true;
            cursor.DropBatch();
            _receiverCount--;
            for (long p = Math.Max(cursor.Position, _tail - _slots.Length); p < _tail; p++)
            {
                ReleaseSlotLocked(ref _slots[(int)(p & _mask)]);
            }

            cursor.Position = _tail;
            wasWaiting = _waiters.RemoveLocked(cursor);
        }

        if (wasWaiting)
        {
            // It reads Closed (disposed) in GetResult.
            cursor.Complete();
        }
    }

    public ValueTask<BroadcastResult<T>> RecvAsync(BroadcastCursor<T> cursor, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        // A batched value needs no lock (a disposed receiver has no batch left, and throws below).
        if (cursor.ReadyBatch is { } batch && Coop.TryConsume())
        {
            return new ValueTask<BroadcastResult<T>>(BroadcastResult<T>.FromValue(batch.Take()));
        }

        lock (_lock)
        {
            EnsureUsableLocked(cursor, "BroadcastReceiver.RecvAsync");
            if (cursor.Position == _tail && cursor.BatchedCount == 0 && !_closed)
            {
                short token = cursor.BeginLocked(file, line, member);
                _waiters.EnqueueLocked(cursor);
                // Under the lock: a token that fires now finds the cursor queued (RemoveWaiter re-enters the lock on this thread).
                cursor.RegisterCancellation(cancellationToken);
                return new ValueTask<BroadcastResult<T>>(cursor, token);
            }

            if (Coop.TryConsume())
            {
                return new ValueTask<BroadcastResult<T>>(TakeLocked(cursor));
            }
        }

        return RecvAfterYieldAsync(cursor, file, line, member, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<BroadcastResult<T>> RecvAfterYieldAsync(BroadcastCursor<T> cursor, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        return await RecvAsync(cursor, file, line, member, cancellationToken).ConfigureAwait(true);
    }

    public BroadcastResult<T> TryRecv(BroadcastCursor<T> cursor)
    {
        if (cursor.TryTakeBatched(out T batched))
        {
            return BroadcastResult<T>.FromValue(batched);
        }

        lock (_lock)
        {
            EnsureUsableLocked(cursor, "BroadcastReceiver.TryRecv");
            return TakeLocked(cursor);
        }
    }

    /// <summary>Reads the result of a completed wait (GetResult): there is always one, since only a send, close or dispose wakes a cursor.</summary>
    public BroadcastResult<T> TakeAfterWake(BroadcastCursor<T> cursor)
    {
        lock (_lock)
        {
            BroadcastResult<T> result = TakeLocked(cursor);
            Debug.Assert(result.Status != BroadcastStatus.Empty, "a woken receiver found nothing to read");
            return result;
        }
    }

    /// <summary>Number of values <paramref name="cursor"/> has not read (more than the capacity when it lagged).</summary>
    public long PendingFor(BroadcastCursor<T> cursor)
    {
        lock (_lock)
        {
            return _tail - cursor.Position + cursor.BatchedCount;
        }
    }

    /// <summary>Unlinks a cancelled cursor; false if a completer took it first or it no longer carries the wait of <paramref name="version"/>.</summary>
    public bool RemoveWaiter(BroadcastCursor<T> cursor, short version)
    {
        lock (_lock)
        {
            return cursor.IsWait(version) && _waiters.RemoveLocked(cursor);
        }
    }

    /// <summary>For listings: racy reads, never blocks.</summary>
    public string DescribeCursor(BroadcastCursor<T> cursor) =>
        // Racy snapshot: _tail is written with Volatile.Write in Send.
        $"{Volatile.Read(ref _tail) - cursor.Position + cursor.BatchedCount} unread, {ReceiverCount} receivers, capacity {_slots.Length}";

    private static void EnsureUsableLocked(BroadcastCursor<T> cursor, string operation)
    {
        ObjectDisposedException.ThrowIf(cursor.IsDisposed, typeof(BroadcastReceiver<T>));
        if (!cursor.IsIdle)
        {
            ThrowHelper.ThrowReceiverBusy(operation);
        }
    }

    private BroadcastResult<T> TakeLocked(BroadcastCursor<T> cursor)
    {
        if (cursor.TryTakeBatched(out T batched))
        {
            return BroadcastResult<T>.FromValue(batched);
        }

        long next = cursor.Position;
        if (next == _tail)
        {
            return _closed || cursor.IsDisposed ? BroadcastResult<T>.Closed : BroadcastResult<T>.Empty;
        }

        long oldest = _tail - _slots.Length;
        if (next < oldest)
        {
            cursor.Position = oldest;
            return BroadcastResult<T>.FromLag(oldest - next);
        }

        ref Slot slot = ref _slots[(int)(next & _mask)];
        T value = slot.Value;
        ReleaseSlotLocked(ref slot);
        next++;
        // The values already sent after it go into the batch (see the remarks).
        int more = (int)Math.Min(_tail - next, BroadcastCursor<T>.Batch.Capacity - 1);
        if (more > 0)
        {
            BroadcastCursor<T>.Batch batch = cursor.EmptyBatch();
            for (int i = 0; i < more; i++, next++)
            {
                ref Slot taken = ref _slots[(int)(next & _mask)];
                batch.Items[i] = taken.Value;
                ReleaseSlotLocked(ref taken);
            }

            batch.Count = more;
        }

        cursor.Position = next;
        return BroadcastResult<T>.FromValue(value);
    }

    private static void ReleaseSlotLocked(ref Slot slot)
    {
        Debug.Assert(slot.Remaining > 0, "a slot was released by more receivers than it was sent to");
        if (--slot.Remaining == 0 && RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot.Value = default!;
        }
    }

    private struct Slot
    {
        public T Value;
        public int Remaining;
    }
}
