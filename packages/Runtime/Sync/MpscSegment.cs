using System.Threading;

namespace Spindle.Sync;

/// <summary>
/// One block of an <see cref="MpscQueue{T}"/> (tokio's <c>sync::mpsc::block</c>): a fixed array of
/// slots, a bit per slot saying it was written, the link to the next block, and the tail position
/// the producers had reached when they moved past this block for good.
/// </summary>
/// <remarks>
/// <para>
/// A segment is: linked (reachable from the producers' tail hint, slots being written) → released
/// (every slot written and the hint moved past it; <see cref="ObservedTail"/> set) → reclaimed by the
/// consumer once it has read up to <see cref="ObservedTail"/> (no producer can still hold it) →
/// reset and linked again at the end of the list with a new <see cref="StartIndex"/>, or dropped.
/// </para>
/// <para>Fields are public for the owning queue only; it documents each ordering-sensitive access.</para>
/// </remarks>
internal sealed class MpscSegment<T>
{
    /// <summary>Slots per segment: tokio's <c>BLOCK_CAP</c> on 64-bit targets; one bit each fits <see cref="ReadySlots"/>.</summary>
    public const int Capacity = 32;

    public const int OffsetMask = Capacity - 1;

    /// <summary>All <see cref="Capacity"/> bits of <see cref="ReadySlots"/> set.</summary>
    public const int AllReady = -1;

    /// <summary><see cref="ObservedTail"/> while the producers may still reach this segment through the tail hint.</summary>
    public const long NotReleased = long.MaxValue;

    public readonly T[] Slots = new T[Capacity];

    /// <summary>Position of slot 0; written only while the segment is unreachable (before it is linked).</summary>
    public long StartIndex;

    /// <summary>The following segment, linked once by a compare-exchange from null.</summary>
    public MpscSegment<T>? Next;

    /// <summary>Bit i set once slot i holds its value; set with an interlocked OR by the producer.</summary>
    public int ReadySlots;

    /// <summary>
    /// <see cref="NotReleased"/>, or the tail position read just after the producers' tail hint moved
    /// past this segment: every producer that could still hold it claimed a position below this.
    /// </summary>
    public long ObservedTail = NotReleased;

    public MpscSegment(long startIndex) => StartIndex = startIndex;

    /// <summary>Whether every slot has been written (a racy read; the bits only get set until reset).</summary>
    // Pairs with the interlocked OR in Write: a full segment has no producer left writing into it.
    public bool IsFull => Volatile.Read(ref ReadySlots) == AllReady;

    /// <summary>Stores the value of a claimed slot and publishes it.</summary>
    public void Write(int offset, T value)
    {
        Slots[offset] = value;
        // Full fence: publishes the value to the consumer's Volatile.Read of ReadySlots, and orders this
        // write before the sender's read of the receiver's wait state (the Dekker pairing in MpscChannel).
        Interlocked.Or(ref ReadySlots, 1 << offset);
    }

    /// <summary>Whether slot <paramref name="offset"/> was written.</summary>
    // Acquire: pairs with the interlocked OR in Write, so the slot's value is visible once the bit is.
    public bool IsReady(int offset) => (Volatile.Read(ref ReadySlots) & (1 << offset)) != 0;

    /// <summary>Prepares a reclaimed segment for reuse; the caller owns it exclusively.</summary>
    public void Reset()
    {
        // Plain writes: the segment is unreachable; the compare-exchange that links it again publishes them.
        ReadySlots = 0;
        Next = null;
        ObservedTail = NotReleased;
    }
}
