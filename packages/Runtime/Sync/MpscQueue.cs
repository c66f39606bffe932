using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Spindle.Sync;

/// <summary>
/// The lock-free multi-producer, single-consumer message queue of an mpsc channel (tokio's
/// <c>sync::mpsc::list</c>): a linked list of fixed-size <see cref="MpscSegment{T}"/>s that the
/// consumer recycles, so a queue in steady state allocates nothing and a growing one allocates one
/// segment per <see cref="MpscSegment{T}.Capacity"/> messages, with no copying.
/// </summary>
/// <remarks>
/// <para>
/// Positions: every message has a position (0, 1, 2, …); position p lives in slot
/// <c>p % Capacity</c> of the segment whose <c>StartIndex</c> is <c>p - p % Capacity</c>.
/// A producer claims the next position with an atomic add on <c>_tail</c> (it never fails, so
/// producers on several cores do not retry against each other as with a compare-exchange), walks from
/// the tail hint <c>_tailSegment</c> to that position's segment (linking new segments as needed),
/// writes the value and sets the slot's state. The consumer reads positions in order from
/// <c>_head</c>; a position that is claimed but not yet written reads as empty (its producer has not
/// finished).
/// </para>
/// <para>
/// Sealing: the two low bits of <c>_tail</c> are flags that refuse sends: <see cref="Closed"/> (set
/// by the receiver's Close) and <see cref="Disposed"/> (its Dispose). The add that claims a position
/// returns the flags with it, so every claim is ordered against every seal: a claim made before the
/// seal delivers its message; one made after it marks its slot skipped and the send fails. Once a
/// flag is set, the set of messages that will be delivered is therefore final. Skipped slots are
/// rare: a producer first reads <c>_sealHint</c> (set just after the flags) and does not claim at all
/// once it shows the seal; only a send racing the seal claims and skips.
/// </para>
/// <para>
/// Invariants: (1) the tail hint only moves past a segment whose every slot was written, so a producer
/// that claimed position p and then reads the hint finds a segment at or before p's; (2) the one that
/// moves the hint past segment S records the tail position read just afterwards in
/// <c>S.ObservedTail</c>; every producer that could still hold S claimed a position below it; (3) the
/// consumer reclaims S only once it has read every position below <c>S.ObservedTail</c>, so no
/// producer is inside S any more; (4) <c>_free</c> ≤ <c>_head</c>, and segments from <c>_free</c> to
/// just before <c>_head</c> are fully read but maybe not reclaimable yet.
/// </para>
/// <para>
/// Segment: linked → released (hint moved past; ObservedTail set) → reclaimed by the consumer → reset,
/// appended after the current tail segment (up to <see cref="AppendAttempts"/> tries) or dropped to
/// the GC.
/// </para>
/// <para>Only one thread at a time may call the consumer methods (TryDequeue, Drain).</para>
/// </remarks>
internal sealed class MpscQueue<T>
{
    /// <summary>Flag in <c>_tail</c>: plain sends are refused (the receiver closed).</summary>
    public const long Closed = 1;

    /// <summary>Flag in <c>_tail</c>: every send is refused, including permits (the receiver was disposed).</summary>
    public const long Disposed = 2;

    private const int PositionShift = 2;
    private const long PositionStep = 1L << PositionShift;

    /// <summary>How often a reclaimed segment tries to link itself at the end before it is dropped: tokio's value (<c>reclaim_block</c>).</summary>
    private const int AppendAttempts = 3;

    // Mutable struct: never readonly.
    private MpscPositions _positions;

    /// <summary>The seal flags again, written after they are set in the tail: producers read this line anyway (the tail hint), the tail's they would have to fetch.</summary>
    private long _sealHint;

    /// <summary>The tail hint: at or before the segment of the next position to claim.</summary>
    private MpscSegment<T> _tailSegment;

    /// <summary>Consumer only: the segment of the read position, or the one before it when that one is used up.</summary>
    private MpscSegment<T> _head;

    /// <summary>Consumer only: the oldest segment not yet reclaimed.</summary>
    private MpscSegment<T> _free;

    /// <summary>Consumer only: the segment it appended last, while not reclaimed since; where the next append starts looking for the end.</summary>
    private MpscSegment<T>? _lastAppended;

    public MpscQueue()
    {
        var first = new MpscSegment<T>(0);
        _tailSegment = first;
        _head = first;
        _free = first;
    }

    /// <summary>Racy snapshot of the claimed but unread positions (an in-flight send counts; so does a send refused while racing a seal, until the consumer steps over its slot).</summary>
    public int Count
    {
        get
        {
            // Two racy reads; a snapshot only needs each to be recent. Clamped: the consumer may read ahead of a stale tail.
            long count = (Volatile.Read(ref _positions.Tail) >> PositionShift) - Volatile.Read(ref _positions.Index);
            return (int)Math.Clamp(count, 0, int.MaxValue);
        }
    }

    /// <summary>
    /// Whether the consumer has read (or may step over) every position claimed when this was called.
    /// Final once the queue is sealed against every producer that is left (the caller knows which):
    /// claims after that are skipped slots, which the consumer steps over. Callable from any thread;
    /// exact for the consumer, and for another thread while the consumer is parked.
    /// </summary>
    public bool IsDrained
    {
        get
        {
            // The tail first: it is read after whatever told the caller no producer is left (acquire), so
            // it includes their claims; then every position below it must be read or skipped.
            long tail = Volatile.Read(ref _positions.Tail) >> PositionShift;
            PeekPastSkips(out long position);
            return position >= tail;
        }
    }

    /// <summary>
    /// Claims a position and queues <paramref name="value"/>, unless one of <paramref name="refusedBy"/>
    /// (<see cref="Closed"/>, <see cref="Disposed"/>) is set. Any number of threads.
    /// </summary>
    public bool TryEnqueue(T value, long refusedBy)
    {
        // Acquire: pairs with Seal's write. Only spares a sealed queue a claim per refused send; the
        // flags returned by the claim decide.
        if ((Volatile.Read(ref _sealHint) & refusedBy) != 0)
        {
            return false;
        }

        // The claim: the flags come back with the position, so it is ordered against every seal.
        long claimed = Interlocked.Add(ref _positions.Tail, PositionStep) - PositionStep;
        long position = claimed >> PositionShift;
        MpscSegment<T> segment = FindSegment(position);
        int offset = (int)position & MpscSegment<T>.OffsetMask;
        if ((claimed & refusedBy) != 0)
        {
            // Claimed after the seal: the position is ours but the send fails; the consumer steps over it.
            segment.Skip(offset);
            return false;
        }

        segment.Write(offset, value);
        return true;
    }

    /// <summary>Sets seal flags; claims made before deliver their messages, later ones honour the flags.</summary>
    public void Seal(long flags)
    {
        // Full fence: orders the seal against every claim (each is an atomic add on the same word); the
        // caller publishes its own state after this.
        Interlocked.Or(ref _positions.Tail, flags);
        // Release: after the flags, so a producer that sees the hint would have been refused by the tail too.
        Interlocked.Or(ref _sealHint, flags);
    }

    /// <summary>Whether <see cref="Closed"/> is set (checks of invariants).</summary>
    // Acquire: pairs with the interlocked OR in Seal.
    public bool IsSealed => (Volatile.Read(ref _positions.Tail) & Closed) != 0;

    private MpscSegment<T> FindSegment(long position)
    {
        long start = position & ~(long)MpscSegment<T>.OffsetMask;
        // Acquire: pairs with the compare-exchange that moved the hint. Read after our claim, so by
        // invariant (1) the hint is at or before our segment and cannot be recycled while we walk (2, 3).
        MpscSegment<T> segment = Volatile.Read(ref _tailSegment);
        bool tryAdvance = true;
        while (segment.StartIndex != start)
        {
            Debug.Assert(segment.StartIndex < start, "the tail hint never passes a segment that still has a producer writing into it");
            // Acquire: pairs with the compare-exchange that linked the next segment (its StartIndex and reset state).
            MpscSegment<T> next = Volatile.Read(ref segment.Next) ?? Grow(segment);
            if (tryAdvance && segment.IsFull)
            {
                // Full fence; only one producer moves the hint past a given segment (tokio's try_updating_tail).
                if (Interlocked.CompareExchange(ref _tailSegment, next, segment) == segment)
                {
                    // Read after the hint moved (the compare-exchange is a full fence): any producer that read
                    // the old hint had claimed its position before, so below this value. Release: pairs with
                    // the consumer's Volatile.Read in Reclaim.
                    Volatile.Write(ref segment.ObservedTail, Volatile.Read(ref _positions.Tail) >> PositionShift);
                }
                else
                {
                    tryAdvance = false;
                }
            }

            segment = next;
        }

        return segment;
    }

    /// <summary>Links a new segment after <paramref name="segment"/>; if another producer won, appends ours further down.</summary>
    private static MpscSegment<T> Grow(MpscSegment<T> segment)
    {
        var fresh = new MpscSegment<T>(segment.StartIndex + MpscSegment<T>.Capacity);
        // Release: publishes the new segment's fields to walkers that read Next with Volatile.Read.
        MpscSegment<T>? winner = Interlocked.CompareExchange(ref segment.Next, fresh, null);
        if (winner is null)
        {
            return fresh;
        }

        // Keep the allocation (tokio's Block::grow does the same): it becomes a later segment.
        MpscSegment<T> current = winner;
        while (true)
        {
            fresh.StartIndex = current.StartIndex + MpscSegment<T>.Capacity;
            // As above; fresh is still private to this thread until this succeeds.
            MpscSegment<T>? seen = Interlocked.CompareExchange(ref current.Next, fresh, null);
            if (seen is null)
            {
                return winner;
            }

            current = seen;
        }
    }

    // ---- consumer ------------------------------------------------------------------------------

    /// <summary>
    /// Whether the next message to read is there (skipped slots before it do not count). Callable from
    /// any thread; exact for the consumer, and for another thread while the consumer is parked (its
    /// position cannot move then).
    /// </summary>
    public bool HasReady => PeekPastSkips(out _) == MpscSegment<T>.Filled;

    /// <summary>
    /// Walks from the read position over skipped slots, without moving it; returns the state of the
    /// first slot that is not skipped (<see cref="MpscSegment{T}.Empty"/> or <see cref="MpscSegment{T}.Filled"/>)
    /// and its position. Segments from the head on are not reclaimed while the consumer is parked, so the
    /// walk is exact then; on another thread while the consumer runs it is a racy snapshot.
    /// </summary>
    private int PeekPastSkips(out long position)
    {
        // Acquire both: pairs with the consumer's Volatile.Write of Index and Head before it parks.
        long index = Volatile.Read(ref _positions.Index);
        MpscSegment<T>? segment = Volatile.Read(ref _head);
        while (true)
        {
            if (segment.StartIndex != (index & ~(long)MpscSegment<T>.OffsetMask))
            {
                // The head is used up; the next segment may not be linked yet. Acquire: pairs with its linking.
                segment = Volatile.Read(ref segment.Next);
                if (segment is null)
                {
                    position = index;
                    return MpscSegment<T>.Empty;
                }
            }

            int state = segment.StateAt((int)index & MpscSegment<T>.OffsetMask);
            if (state != MpscSegment<T>.Skipped)
            {
                position = index;
                return state;
            }

            index++;
        }
    }

    /// <summary>Takes the next message if it is there, stepping over skipped slots. Consumer only.</summary>
    public bool TryDequeue([MaybeNullWhen(false)] out T value)
    {
        while (true)
        {
            long index = _positions.Index;
            MpscSegment<T> head = _head;
            int offset = (int)index & MpscSegment<T>.OffsetMask;
            if (head.StartIndex != index - offset)
            {
                // Acquire: pairs with the compare-exchange that linked the segment.
                MpscSegment<T>? next = Volatile.Read(ref head.Next);
                if (next is null)
                {
                    value = default;
                    return false;
                }

                Debug.Assert(next.StartIndex == index, "segments are linked in position order");
                // Release: HasReady on another thread reads Head, paired with this write.
                Volatile.Write(ref _head, next);
                head = next;
                Reclaim(index);
            }

            ref MpscSegment<T>.Slot slot = ref head.Slots[offset];
            // Acquire: pairs with the release in the segment's Publish, so the value is visible once the state is.
            int state = Volatile.Read(ref slot.State);
            if (state == MpscSegment<T>.Empty)
            {
                value = default;
                return false;
            }

            // Release: Count, IsDrained and HasReady on other threads read it (see their comments).
            Volatile.Write(ref _positions.Index, index + 1);
            if (state == MpscSegment<T>.Filled)
            {
                value = slot.Value;
                if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                {
                    // The slot must not keep the message alive; only the consumer touches a written slot.
                    slot.Value = default!;
                }

                return true;
            }

            // Skipped: a send refused after a seal; nothing to take.
        }
    }

    /// <summary>
    /// Reads every position claimed so far, waiting for producers still writing, and drops the
    /// messages; returns how many (skipped slots are not counted). Call only once the queue is sealed
    /// against every producer. Consumer only.
    /// </summary>
    public int Drain()
    {
        int dropped = 0;
        SpinWait spinner = default;
        // Acquire: the seal was set before the caller decided to drain, so every message is below this;
        // positions claimed later are skipped slots that nobody needs to read.
        long end = Volatile.Read(ref _positions.Tail) >> PositionShift;
        while (_positions.Index < end)
        {
            if (TryDequeue(out _))
            {
                dropped++;
                spinner = default;
            }
            else
            {
                // The producer of the next position claimed it but is still writing.
                spinner.SpinOnce();
            }
        }

        return dropped;
    }

    /// <summary>Recycles the fully read segments before the head that no producer can still reach.</summary>
    private void Reclaim(long index)
    {
        while (_free != _head)
        {
            MpscSegment<T> segment = _free;
            // Acquire: pairs with the Volatile.Write of ObservedTail in FindSegment (invariant 3).
            if (Volatile.Read(ref segment.ObservedTail) > index)
            {
                return;
            }

            // Linked before Head was reached through it; the consumer wrote nothing to it since.
            _free = segment.Next!;
            if (segment == _lastAppended)
            {
                _lastAppended = null;
            }

            segment.Reset();
            Append(segment);
        }
    }

    /// <summary>Links a reclaimed segment after the current tail segment, or drops it after a few lost races.</summary>
    private void Append(MpscSegment<T> segment)
    {
        // Acquire: the hint is never reclaimed while it is the hint (invariant 1), so walking from it is
        // safe; so is walking from the last appended segment, which only this consumer could reclaim.
        MpscSegment<T> current = Volatile.Read(ref _tailSegment);
        if (_lastAppended is { } last && last.StartIndex > current.StartIndex)
        {
            // Spare segments queue up behind the last one appended; start there rather than walk them all.
            current = last;
        }

        for (int attempt = 0; attempt < AppendAttempts; attempt++)
        {
            segment.StartIndex = current.StartIndex + MpscSegment<T>.Capacity;
            // Release: publishes StartIndex and the reset fields to producers that walk onto it.
            MpscSegment<T>? seen = Interlocked.CompareExchange(ref current.Next, segment, null);
            if (seen is null)
            {
                _lastAppended = segment;
                return;
            }

            current = seen;
        }
    }

    [Conditional("DEBUG")]
    public void AssertInvariants()
    {
        long index = _positions.Index;
        long tail = Volatile.Read(ref _positions.Tail) >> PositionShift;
        Debug.Assert(index <= tail, "the consumer read a position nobody claimed");
        Debug.Assert(_head.StartIndex <= index, "the head segment starts after the read position");
    }
}
