using System.Runtime.CompilerServices;
using System.Threading;

namespace Spindle.Sync;

/// <summary>
/// One block of an <see cref="MpscQueue{T}"/> (tokio's <c>sync::mpsc::block</c>): a fixed array of
/// slots, each holding a value and its state, the link to the next block, and the tail position the
/// producers had reached when they moved past this block for good.
/// </summary>
/// <remarks>
/// <para>
/// A segment is: linked (reachable from the producers' tail hint, slots being written) → released
/// (every slot written and the hint moved past it; <see cref="ObservedTail"/> set) → reclaimed by the
/// consumer once it has read up to <see cref="ObservedTail"/> (no producer can still hold it) →
/// reset and linked again at the end of the list with a new <see cref="StartIndex"/>, or dropped.
/// </para>
/// <para>
/// A slot's state sits beside its value (one array of structs, not a value array and a flag array):
/// a producer writing a message and the consumer reading it then touch one cache line, not two, which
/// halved the line transfers per message when producers on two cores send at once.
/// </para>
/// <para>Fields are public for the owning queue only; it documents each ordering-sensitive access.</para>
/// </remarks>
internal sealed class MpscSegment<T>
{
    /// <summary>
    /// Slots per segment, a power of two: 128 when a slot (the value and its 4-byte state) takes at most 16
    /// bytes (a reference, an int, a long), 64 up to 32 bytes, else 32 (tokio's <c>BLOCK_CAP</c>).
    /// </summary>
    /// <remarks>
    /// tokio's 32 cost a contended unbounded channel (five producers, 5 000 messages) a sixth of its time
    /// in work done once per segment: allocating it, linking it, moving the producers' hint past it
    /// (which reads every slot's state) and reclaiming it, all on lines another core writes. 128 slots of
    /// up to 16 bytes keep a segment within 2 KB, so an idle channel still holds little; larger values
    /// get fewer slots for the same reason. Folded to a constant by the JIT for every instantiation.
    /// </remarks>
    public static int Capacity => Unsafe.SizeOf<Slot>() <= 16 ? 128 : Unsafe.SizeOf<Slot>() <= 32 ? 64 : 32;

    public static int OffsetMask => Capacity - 1;

    /// <summary><see cref="ObservedTail"/> while the producers may still reach this segment through the tail hint.</summary>
    public const long NotReleased = long.MaxValue;

    /// <summary>Slot state: not written yet (its position may be claimed, its producer still writing).</summary>
    public const int Empty = 0;

    /// <summary>Slot state: holds a message.</summary>
    public const int Filled = 1;

    /// <summary>Slot state: its position was claimed after a seal refused the send; the consumer steps over it.</summary>
    public const int Skipped = 2;

    public readonly Slot[] Slots = new Slot[Capacity];

    /// <summary>Position of slot 0; written only while the segment is unreachable (before it is linked).</summary>
    public long StartIndex;

    /// <summary>The following segment, linked once by a compare-exchange from null.</summary>
    public MpscSegment<T>? Next;

    /// <summary>
    /// <see cref="NotReleased"/>, or the tail position read just after the producers' tail hint moved
    /// past this segment: every producer that could still hold it claimed a position below this.
    /// </summary>
    public long ObservedTail = NotReleased;

    public MpscSegment(long startIndex) => StartIndex = startIndex;

    /// <summary>Whether every slot has been written, with a message or a skip (a racy read; states only get set until reset).</summary>
    public bool IsFull
    {
        get
        {
            // Acquire each: pairs with the release in Write and Skip, so a full segment has no producer
            // left writing into it. Read once per segment by a producer walking past it, so a scan is fine.
            for (int i = Capacity - 1; i >= 0; i--)
            {
                if (Volatile.Read(ref Slots[i].State) == Empty)
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
        ref Slot slot = ref Slots[offset];
        slot.Value = value;
        Publish(ref slot, Filled);
    }

    /// <summary>Marks a claimed slot whose send was refused, so the consumer steps over it.</summary>
    public void Skip(int offset) => Publish(ref Slots[offset], Skipped);

    private static void Publish(ref Slot slot, int state)
    {
        // Release: publishes the value to the consumer's acquire read of the state.
        Volatile.Write(ref slot.State, state);
        // Full fence, local to this core: orders the state write before the sender's read of the
        // receiver's wait state (the Dekker pairing in MpscChannel).
        Interlocked.MemoryBarrier();
    }

    /// <summary>The state of slot <paramref name="offset"/>: <see cref="Empty"/>, <see cref="Filled"/> or <see cref="Skipped"/>.</summary>
    // Acquire: pairs with the release in Publish, so the slot's value is visible once the state is.
    public int StateAt(int offset) => Volatile.Read(ref Slots[offset].State);

    /// <summary>Prepares a reclaimed segment for reuse; the caller owns it exclusively.</summary>
    public void Reset()
    {
        // Plain writes: the segment is unreachable; the compare-exchange that links it again publishes
        // them. Values were cleared as they were read (where they hold references).
        for (int i = 0; i < Capacity; i++)
        {
            Slots[i].State = Empty;
        }

        Next = null;
        ObservedTail = NotReleased;
    }

    /// <summary>One message slot: the value and its <see cref="Empty"/>/<see cref="Filled"/>/<see cref="Skipped"/> state, on one cache line.</summary>
    public struct Slot
    {
        public T Value;
        public int State;
    }
}
