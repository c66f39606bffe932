using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace Spindle.Time;

// TimerWheel: a hashed hierarchical timer wheel with 1 ms resolution.
//
// The reference design is tokio's `runtime/time/wheel` (6 levels x 64 slots, one 64-bit occupancy
// bitmap per level, cascading on demand). This is an independent implementation; the places where
// it deliberately differs are listed under "Differences from tokio".
//
// Geometry
// --------
// Level L has 64 slots of 64^L ms each, so it spans 64^(L+1) ms; the top level (L = 5) spans
// 64^6 = 2^36 ms, about 2.2 years. An entry is filed under a placement key
//
//     key   = DeadlineMs, or Elapsed + 2^36 - 1 if the deadline is 2^36 ms or more away
//     level = highest 6-bit group in which key and Elapsed differ, capped at the top level
//     slot  = (key >> 6 * level) & 63
//
// i.e. in the coarsest slot that still tells it apart from "now". A slot's *time* is the instant
// it must be processed: the start of the 64^L ms range it stands for. On levels below the top that
// range lies inside Elapsed's current 64^(L+1) ms block; on the top level the slots form a ring:
// slots after Elapsed's own top slot stand for the current 2^36 ms frame, the rest (including
// Elapsed's own slot) for the next frame.
//
// Invariants (checked by AssertInvariants)
// ----------------------------------------
//  1. Bit s of _occupied[L] is set  <=>  slot (L, s) is non-empty.
//  2. Slot lists are well formed (head.WheelPrev == null, tail.WheelNext == null, links agree) and
//     every entry in slot (L, s) has WheelLevel == L and WheelSlot == s.
//  3. Elapsed < time(L, s) <= DeadlineMs for every entry in slot (L, s): nothing in the wheel is
//     overdue, and processing a slot at its time never sees an entry whose deadline has not begun.
//  4. Below the top level an entry agrees with Elapsed on every 6-bit group above L, and its slot
//     lies strictly after Elapsed's slot on L. So all slot times on level L come before all slot
//     times on level L + 1, and the next slot to process is the first occupied slot after the
//     current position on the lowest non-empty level.
//  5. Count equals the number of linked entries.
//
// Polling and cascading
// ---------------------
//     Poll(now):
//       loop: (L, s, T) = earliest occupied slot           -- bitmap search, O(levels)
//             T > now          -> stop
//             Elapsed = T                                  -- skips nothing, by invariant 4
//             detach slot (L, s); for each entry in it:
//               DeadlineMs == T -> unregister, append to `expired`
//               otherwise       -> re-file relative to the new Elapsed (cascade)
//       Elapsed = now
//
// Re-filing an entry taken from the slot starting at T puts it on a strictly lower level, because
// its key lies inside that slot and so agrees with T on group L and above; a clamped far entry
// goes back into the top ring, 2^36 - 2^30 ms or more further on. Level-0 slots span one
// millisecond, so an entry fires exactly when the wheel reaches its deadline, never early, and
// the entries one Poll appends are in deadline order (FIFO among equal deadlines that were filed
// into the same slot).
//
// Differences from tokio
// ----------------------
//  - tokio fires every entry of a processed slot whose deadline has passed, even from a high level;
//    here such an entry cascades down and fires from the slot of its own deadline. That keeps the
//    `expired` list sorted for one extra re-filing per level, at most 5 per entry.
//  - tokio files far deadlines by their own slot bits, so the slot at Elapsed's own top position
//    can hold next-frame entries while later slots hold current-frame ones, and a search that
//    starts at the current slot reports the later frame first. Here far keys are clamped to less
//    than one frame ahead and the search on every level starts just after the current slot, so the
//    ring order is exactly time order.
//
// Complexity
// ----------
// Insert and Remove are O(1); NextExpiration is O(levels): per level one rotate and one
// trailing-zero count. Poll costs O(levels) per slot it processes plus O(1) per entry it moves; an
// entry moves at most once per level (plus once per ~2.1 years if clamped), so a jump of any
// length costs O(levels x entries touched) and never loops over empty milliseconds.
//
// Thread safety
// -------------
// None. The owner (the runtime's time driver) holds one lock around every call. Poll only collects
// expired entries into the caller's list; the caller completes them (wakes their tasks) after it
// has released the lock, so no user code ever runs under it.
/// <summary>
/// A hierarchical timer wheel of 6 levels x 64 slots with 1 ms resolution that maps deadlines to the
/// moments they must be processed.
/// </summary>
/// <remarks>
/// <para>
/// <b>Thread safety:</b> not thread-safe. The time driver that owns the wheel holds its lock around
/// every call, and completes the entries returned by <see cref="Poll"/> after releasing it.
/// </para>
/// </remarks>
internal sealed class TimerWheel
{
    /// <summary>Number of levels; six 6-bit levels cover 2^36 ms, as in tokio's wheel.</summary>
    private const int LevelCount = 6;

    /// <summary>Bits of the deadline that select a slot on one level: 64 slots, as in tokio's wheel (one <see cref="ulong"/> bitmap per level).</summary>
    private const int SlotBits = 6;

    private const int SlotsPerLevel = 1 << SlotBits;

    private const long SlotMask = SlotsPerLevel - 1;

    private const int TopLevel = LevelCount - 1;

    /// <summary>The span the wheel covers without clamping: 64^6 ms = 2^36 ms, about 2.2 years.</summary>
    private const long WheelSpan = 1L << (LevelCount * SlotBits);

    // The slot lists, indexed by level * SlotsPerLevel + slot. Tails make the lists FIFO, so timers
    // with equal deadlines fire in the order they were filed. An array of structs rather than two
    // TimerEntry arrays: a store into an array of a non-sealed class pays a covariance check.
    private readonly SlotList[] _slots = new SlotList[LevelCount * SlotsPerLevel];

    // Bit s of _occupied[L] is set iff slot (L, s) is non-empty (invariant 1).
    private readonly ulong[] _occupied = new ulong[LevelCount];

    private long _elapsed;
    private int _count;
    private long _slotsProcessed;

    /// <summary>Gets the wheel's current time in milliseconds; starts at 0 and only moves forward, through <see cref="Poll"/>.</summary>
    public long Elapsed => _elapsed;

    /// <summary>Gets the number of registered entries.</summary>
    public int Count => _count;

    /// <summary>
    /// Gets how many slots <see cref="Poll"/> has processed since the wheel was created: a measure of
    /// the work polling did, independent of how far time moved.
    /// </summary>
    public long SlotsProcessed => _slotsProcessed;

    /// <summary>Registers <paramref name="entry"/> to expire at <paramref name="deadlineMs"/>.</summary>
    /// <param name="entry">An entry that is not registered with any wheel.</param>
    /// <param name="deadlineMs">The absolute deadline in wheel milliseconds.</param>
    /// <returns>
    /// <see langword="true"/> if the entry was registered; <see langword="false"/> if
    /// <paramref name="deadlineMs"/> is not after <see cref="Elapsed"/>, in which case the entry is
    /// left untouched and the caller should fire it at once.
    /// </returns>
    /// <remarks>
    /// Deadlines 2^36 ms (about 2.2 years) or more past <see cref="Elapsed"/> are filed at the end of
    /// the top level and re-filed when the wheel gets there, so they are neither lost nor fired early.
    /// </remarks>
    /// <exception cref="InvalidOperationException"><paramref name="entry"/> is already registered.</exception>
    public bool Insert(TimerEntry entry, long deadlineMs)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.IsRegistered)
        {
            ThrowAlreadyRegistered();
        }

        if (deadlineMs <= _elapsed)
        {
            return false;
        }

        entry.DeadlineMs = deadlineMs;
        Place(entry);
        _count++;
        return true;
    }

    /// <summary>Unlinks <paramref name="entry"/> from the wheel in O(1).</summary>
    /// <param name="entry">The entry to remove.</param>
    /// <returns><see langword="true"/> if the entry was registered and is now removed; <see langword="false"/> if it was not registered.</returns>
    public bool Remove(TimerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!entry.IsRegistered)
        {
            return false;
        }

        Unlink(entry);
        entry.WheelLevel = -1;
        _count--;
        return true;
    }

    /// <summary>
    /// Returns the earliest time at which <see cref="Poll"/> could have work: the exact deadline for
    /// an entry on the lowest level, else the start of the higher-level slot that must be cascaded,
    /// which is after <see cref="Elapsed"/> and no later than any deadline in the wheel.
    /// </summary>
    /// <returns>The time in wheel milliseconds, or <see langword="null"/> if the wheel is empty.</returns>
    public long? NextExpiration() => TryFindNextSlot(out _, out _, out long time) ? time : null;

    /// <summary>
    /// Advances <see cref="Elapsed"/> to <paramref name="nowMs"/>, cascading higher-level slots as
    /// their time comes, and appends every entry whose deadline is at or before
    /// <paramref name="nowMs"/> to <paramref name="expired"/>, in deadline order.
    /// </summary>
    /// <param name="nowMs">The current time in wheel milliseconds; a time before <see cref="Elapsed"/> does nothing.</param>
    /// <param name="expired">Receives the expired entries, which are no longer registered; the caller fires them outside its lock.</param>
    public void Poll(long nowMs, List<TimerEntry> expired)
    {
        ArgumentNullException.ThrowIfNull(expired);
        if (nowMs <= _elapsed)
        {
            return;
        }

        while (TryFindNextSlot(out int level, out int slot, out long time) && time <= nowMs)
        {
            // No slot's time is earlier than `time` (invariant 4), so moving there skips nothing.
            _elapsed = time;
            _slotsProcessed++;
            ProcessSlot(level, slot, expired);
        }

        // Every remaining slot's time is after nowMs, so invariant 3 still holds.
        _elapsed = nowMs;
    }

    /// <summary>Checks invariants 1 to 5 of the design comment; debug builds only, O(entries).</summary>
    [Conditional("DEBUG")]
    public void AssertInvariants()
    {
        int linked = 0;
        long previousLevelLatest = long.MinValue;
        for (int level = 0; level < LevelCount; level++)
        {
            int shift = level * SlotBits;
            long levelEarliest = long.MaxValue;
            long levelLatest = long.MinValue;
            for (int slot = 0; slot < SlotsPerLevel; slot++)
            {
                int index = (level * SlotsPerLevel) + slot;
                bool occupied = (_occupied[level] & (1UL << slot)) != 0;
                Debug.Assert(occupied == (_slots[index].Head is not null), $"Bitmap bit for slot ({level}, {slot}) disagrees with its list.");
                Debug.Assert((_slots[index].Head is null) == (_slots[index].Tail is null), $"Slot ({level}, {slot}) has a head without a tail or the reverse.");
                if (!occupied)
                {
                    continue;
                }

                long time = SlotTime(level, slot);
                levelEarliest = Math.Min(levelEarliest, time);
                levelLatest = Math.Max(levelLatest, time);
                Debug.Assert(time > _elapsed, $"Slot ({level}, {slot}) is due at {time}, not after Elapsed {_elapsed}.");

                TimerEntry? previous = null;
                for (TimerEntry? entry = _slots[index].Head; entry is not null; entry = entry.WheelNext)
                {
                    linked++;
                    Debug.Assert(entry.WheelPrev == previous, $"Broken back link in slot ({level}, {slot}).");
                    Debug.Assert(entry.WheelLevel == level && entry.WheelSlot == slot, $"Entry in slot ({level}, {slot}) records ({entry.WheelLevel}, {entry.WheelSlot}).");
                    Debug.Assert(time <= entry.DeadlineMs, $"Slot ({level}, {slot}) is due at {time}, after deadline {entry.DeadlineMs}.");
                    if (level < TopLevel)
                    {
                        int above = shift + SlotBits;
                        Debug.Assert(entry.DeadlineMs >> above == _elapsed >> above, $"Entry on level {level} differs from Elapsed above its level.");
                        Debug.Assert(((entry.DeadlineMs >> shift) & SlotMask) == slot, $"Entry with deadline {entry.DeadlineMs} is in slot {slot} of level {level}.");
                    }

                    previous = entry;
                }

                Debug.Assert(_slots[index].Tail == previous, $"Tail of slot ({level}, {slot}) is not its last entry.");
            }

            if (levelEarliest != long.MaxValue)
            {
                Debug.Assert(levelEarliest > previousLevelLatest, $"Level {level} has a slot due before a slot of a lower level.");
                previousLevelLatest = levelLatest;
            }
        }

        Debug.Assert(linked == _count, $"Count is {_count} but {linked} entries are linked.");
    }

    /// <summary>Finds the slot that must be processed next (design comment, invariant 4).</summary>
    private bool TryFindNextSlot(out int level, out int slot, out long time)
    {
        for (int l = 0; l < LevelCount; l++)
        {
            ulong occupied = _occupied[l];
            if (occupied == 0)
            {
                continue;
            }

            // Search from just after Elapsed's slot on this level: below the top level no entry sits
            // at or before it (invariant 4), and on the top ring Elapsed's own slot is the latest.
            int start = (int)(((_elapsed >> (l * SlotBits)) + 1) & SlotMask);
            int offset = BitOperations.TrailingZeroCount(BitOperations.RotateRight(occupied, start));
            level = l;
            slot = (start + offset) & (int)SlotMask;
            time = SlotTime(l, slot);
            return true;
        }

        level = -1;
        slot = -1;
        time = 0;
        return false;
    }

    /// <summary>Computes when slot (<paramref name="level"/>, <paramref name="slot"/>) must be processed, relative to Elapsed.</summary>
    private long SlotTime(int level, int slot)
    {
        int shift = level * SlotBits;
        long levelSpan = 1L << (shift + SlotBits);
        long time = (_elapsed & ~(levelSpan - 1)) + ((long)slot << shift);
        if (time <= _elapsed)
        {
            // Only the top level is a ring: a slot at or before Elapsed's stands for the next frame.
            Debug.Assert(level == TopLevel, $"Slot ({level}, {slot}) lies behind Elapsed {_elapsed} below the top level.");
            time += levelSpan;
        }

        return time;
    }

    /// <summary>Links an entry whose deadline is after Elapsed into the slot its placement key selects (design comment, "Geometry").</summary>
    private void Place(TimerEntry entry)
    {
        Debug.Assert(entry.DeadlineMs > _elapsed, "Only future deadlines are filed.");

        // Both operands are non-negative, so the difference cannot overflow.
        long key = entry.DeadlineMs - _elapsed >= WheelSpan ? _elapsed + (WheelSpan - 1) : entry.DeadlineMs;

        // OR-ing in the low group keeps a key that differs from Elapsed only there on level 0.
        ulong significant = (ulong)(key ^ _elapsed) | (ulong)SlotMask;
        int level = Math.Min((63 - BitOperations.LeadingZeroCount(significant)) / SlotBits, TopLevel);
        int slot = (int)((key >> (level * SlotBits)) & SlotMask);
        int index = (level * SlotsPerLevel) + slot;

        ref SlotList list = ref _slots[index];
        TimerEntry? tail = list.Tail;
        entry.WheelPrev = tail;
        entry.WheelNext = null;
        if (tail is null)
        {
            list.Head = entry;
            _occupied[level] |= 1UL << slot;
        }
        else
        {
            tail.WheelNext = entry;
        }

        list.Tail = entry;
        entry.WheelLevel = level;
        entry.WheelSlot = slot;
        Debug.Assert(SlotTime(level, slot) > _elapsed && SlotTime(level, slot) <= entry.DeadlineMs, "Filed entry breaks invariant 3.");
    }

    /// <summary>Unlinks an entry from its slot list, clearing the slot's bit if it empties; leaves WheelLevel alone.</summary>
    private void Unlink(TimerEntry entry)
    {
        int level = entry.WheelLevel;
        int slot = entry.WheelSlot;
        int index = (level * SlotsPerLevel) + slot;
        ref SlotList list = ref _slots[index];
        TimerEntry? prev = entry.WheelPrev;
        TimerEntry? next = entry.WheelNext;

        if (prev is null)
        {
            Debug.Assert(list.Head == entry, "Entry has no predecessor but is not its slot's head: registered with another wheel?");
            list.Head = next;
        }
        else
        {
            prev.WheelNext = next;
        }

        if (next is null)
        {
            Debug.Assert(list.Tail == entry, "Entry has no successor but is not its slot's tail: registered with another wheel?");
            list.Tail = prev;
        }
        else
        {
            next.WheelPrev = prev;
        }

        if (list.Head is null)
        {
            _occupied[level] &= ~(1UL << slot);
        }

        entry.WheelPrev = null;
        entry.WheelNext = null;
    }

    /// <summary>Empties the slot due at Elapsed: fires entries due now, cascades the rest to lower levels.</summary>
    private void ProcessSlot(int level, int slot, List<TimerEntry> expired)
    {
        int index = (level * SlotsPerLevel) + slot;
        TimerEntry? entry = _slots[index].Head;
        _slots[index] = default;
        _occupied[level] &= ~(1UL << slot);

        while (entry is not null)
        {
            TimerEntry? next = entry.WheelNext;
            entry.WheelPrev = null;
            entry.WheelNext = null;

            // The slot starts at Elapsed and no deadline in it is earlier (invariant 3), so "due" means "equal".
            Debug.Assert(entry.DeadlineMs >= _elapsed, "An entry in a processed slot was overdue.");
            if (entry.DeadlineMs <= _elapsed)
            {
                entry.WheelLevel = -1;
                _count--;
                expired.Add(entry);
            }
            else
            {
                Place(entry);
            }

            entry = next;
        }
    }

    [DoesNotReturn]
    private static void ThrowAlreadyRegistered() =>
        throw new InvalidOperationException("The timer entry is already registered with a timer wheel; remove it (or let it fire) before inserting it again.");

    /// <summary>One slot's FIFO list of entries.</summary>
    private struct SlotList
    {
        public TimerEntry? Head;
        public TimerEntry? Tail;
    }
}
