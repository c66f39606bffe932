using System.Runtime.CompilerServices;
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
    /// <summary>Slots per segment: tokio's <c>BLOCK_CAP</c> on 64-bit targets.</summary>
    public const int Capacity = 32;

    public const int OffsetMask = Capacity - 1;

    /// <summary><see cref="ObservedTail"/> while the producers may still reach this segment through the tail hint.</summary>
    public const long NotReleased = long.MaxValue;

    public readonly T[] Slots = new T[Capacity];

    /// <summary>Position of slot 0; written only while the segment is unreachable (before it is linked).</summary>
    public long StartIndex;

    /// <summary>The following segment, linked once by a compare-exchange from null.</summary>
    public MpscSegment<T>? Next;

    /// <summary>
    /// Flag i set once slot i holds its value. A flag per slot, not a bit per slot in one word (as
    /// tokio): producers of one segment then never read-modify-write a shared word; an interlocked
    /// OR on a word every producer hits cost more than the enqueue's own claim under contention.
    /// </summary>
    public ReadyFlags Ready;

    /// <summary>
    /// <see cref="NotReleased"/>, or the tail position read just after the producers' tail hint moved
    /// past this segment: every producer that could still hold it claimed a position below this.
    /// </summary>
    public long ObservedTail = NotReleased;

    public MpscSegment(long startIndex) => StartIndex = startIndex;

    /// <summary>Whether every slot has been written (a racy read; the flags only get set until reset).</summary>
    public bool IsFull
    {
        get
        {
            // Acquire each: pairs with the release in Write, so a full segment has no producer left
            // writing into it. Read once per segment by a producer walking past it, so a scan is fine.
            for (int i = Capacity - 1; i >= 0; i--)
            {
                if (Volatile.Read(ref Ready[i]) == 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Stores the value of a claimed slot and publishes it.</summary>
    public void Write(int offset, T value)
    {
        Slots[offset] = value;
        // Release: publishes the value to the consumer's acquire read of the flag.
        Volatile.Write(ref Ready[offset], 1);
        // Full fence, local to this core: orders the flag write before the sender's read of the
        // receiver's wait state (the Dekker pairing in MpscChannel).
        Interlocked.MemoryBarrier();
    }

    /// <summary>Whether slot <paramref name="offset"/> was written.</summary>
    // Acquire: pairs with the release in Write, so the slot's value is visible once the flag is.
    public bool IsReady(int offset) => Volatile.Read(ref Ready[offset]) != 0;

    /// <summary>Prepares a reclaimed segment for reuse; the caller owns it exclusively.</summary>
    public void Reset()
    {
        // Plain writes: the segment is unreachable; the compare-exchange that links it again publishes them.
        Ready = default;
        Next = null;
        ObservedTail = NotReleased;
    }
}

/// <summary>One ready flag per slot of an <see cref="MpscSegment{T}"/>, inline in the segment.</summary>
[InlineArray(MpscSegment<int>.Capacity)]
internal struct ReadyFlags
{
    private byte _first;
}
