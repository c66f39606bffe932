using System;
using System.Threading;
using System.Collections.Generic;
using Spindle.Internal;

namespace Spindle.Time;

/// <summary>
/// Owns the runtime's timer wheel: registration from any thread under one spin gate, and firing of
/// expired entries outside that gate by whichever thread processes timers (the worker parked on
/// the driver, or a worker doing its periodic maintenance).
/// </summary>
/// <remarks>
/// Wheel time is whole milliseconds since the driver was created; deadlines are rounded up, so a
/// timer never fires early. When a registration makes the earliest deadline earlier than the
/// time the parked thread will sleep until, <see cref="DeadlineAdvanced"/> wakes that thread.
/// </remarks>
internal sealed class TimeDriver
{
    private const long TicksPerMs = TimeSpan.TicksPerMillisecond;

    [ThreadStatic]
    private static List<TimerEntry>? t_expired;

    // A spin gate, not a Lock: every section is a few wheel-list edits or (Poll) a walk of the expired
    // slots, never user code, and a Lock's enter and exit cost as much as the rest of a registration.
    // Mutable struct: never readonly.
    private SpinGate _gate;
    private readonly TimerWheel _wheel = new();
    private readonly RuntimeClock _clock;
    private readonly long _baseTicks;
    private long _sleepUntilMs = long.MaxValue;

    public TimeDriver(RuntimeClock clock)
    {
        _clock = clock;
        _baseTicks = clock.NowTicks;
    }

    // Work started by a timer that runs off the runtime (a TimeProvider callback on the thread pool).
    private int _autoAdvanceInhibitors;

    /// <summary>Raised (outside the gate) when a new timer is due before the parked thread's wake-up time.</summary>
    public Action? DeadlineAdvanced { get; set; }

    /// <summary>
    /// Whether a paused clock may jump to the next timer when the runtime is idle: not while work a timer
    /// started is still running off the runtime (tokio's inhibit_auto_advance), since that work may start
    /// more timers or wake tasks, and time must not run ahead of it.
    /// </summary>
    public bool AutoAdvanceAllowed => Volatile.Read(ref _autoAdvanceInhibitors) == 0;

    /// <summary>Counts work off the runtime that auto-advance waits for; pair with <see cref="AllowAutoAdvance"/>.</summary>
    public void InhibitAutoAdvance() => Interlocked.Increment(ref _autoAdvanceInhibitors);

    /// <summary>Ends one <see cref="InhibitAutoAdvance"/>; the last one wakes the parked thread so it can advance now.</summary>
    public void AllowAutoAdvance()
    {
        if (Interlocked.Decrement(ref _autoAdvanceInhibitors) == 0 && _clock.IsPaused)
        {
            DeadlineAdvanced?.Invoke();
        }
    }

    public RuntimeClock Clock => _clock;

    public int Count
    {
        get
        {
            _gate.Enter();
            try
            {
                return _wheel.Count;
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    private long ToWheelMs(long ticks)
    {
        long relative = ticks - _baseTicks;
        if (relative <= 0)
        {
            return 0;
        }

        // Round up: a deadline between two milliseconds fires at the later one, never early.
        return relative / TicksPerMs + (relative % TicksPerMs == 0 ? 0 : 1);
    }

    /// <summary>The clock ticks of wheel millisecond <paramref name="ms"/>, saturated at the end of the clock's range.</summary>
    private long FromWheelMs(long ms) => ms > (long.MaxValue - _baseTicks) / TicksPerMs ? long.MaxValue : _baseTicks + (ms * TicksPerMs);

    /// <summary>Registers a timer. Returns false if the deadline has already passed (the caller fires it itself).</summary>
    public bool Register(TimerEntry entry, long deadlineTicks) => Register(entry, deadlineTicks, _clock.NowTicks);

    /// <summary>
    /// Registers a timer, judging "already passed" by <paramref name="nowTicks"/>, a reading the
    /// caller just took (a clock reading costs as much as the rest of a registration). A deadline
    /// that passes between that reading and this call is registered and fires at the wheel's next
    /// turn, as if it had been registered a moment earlier.
    /// </summary>
    public bool Register(TimerEntry entry, long deadlineTicks, long nowTicks) => Insert(entry, deadlineTicks, nowTicks, generation: 0, move: false);

    /// <summary>
    /// Registers a timer for the wait <paramref name="generation"/>, first taking out its earlier
    /// registration if it still has one, all under one gate: a reset, or a new wait that finds a
    /// registration its previous wait left behind (a reset racing that wait's firing). False, with the
    /// entry unregistered, if the deadline has passed (see <see cref="Register(TimerEntry, long, long)"/>).
    /// </summary>
    public bool Rearm(TimerEntry entry, long deadlineTicks, long nowTicks, short generation) => Insert(entry, deadlineTicks, nowTicks, generation, move: true);

    private bool Insert(TimerEntry entry, long deadlineTicks, long nowTicks, short generation, bool move)
    {
        long ms = ToWheelMs(deadlineTicks);
        bool wake;
        _gate.Enter();
        try
        {
            if (move && entry.IsRegistered)
            {
                _wheel.Remove(entry);
            }

            entry.Generation = generation;
            // A deadline the wheel has already passed is refused by Insert (the caller fires it).
            if (deadlineTicks <= nowTicks || !_wheel.Insert(entry, ms))
            {
                return false;
            }

            wake = ms < _sleepUntilMs;
            if (wake)
            {
                _sleepUntilMs = ms;
            }
        }
        finally
        {
            _gate.Exit();
        }

        if (wake)
        {
            DeadlineAdvanced?.Invoke();
        }

        return true;
    }

    /// <summary>
    /// Removes a timer only if it is registered for the wait <paramref name="generation"/>: a canceller
    /// that ended that wait must not take out the registration of a later wait on the same timer.
    /// </summary>
    public bool CancelGeneration(TimerEntry entry, short generation)
    {
        _gate.Enter();
        try
        {
            return entry.IsRegistered && entry.Generation == generation && _wheel.Remove(entry);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Removes a timer; false if it was not registered (already fired or never set).</summary>
    public bool Cancel(TimerEntry entry)
    {
        _gate.Enter();
        try
        {
            return _wheel.Remove(entry);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>The clock ticks of the earliest pending deadline, or null. Also records it as the parked thread's wake-up time.</summary>
    public long? NextDeadlineTicksForPark()
    {
        _gate.Enter();
        try
        {
            long? next = _wheel.NextExpiration();
            _sleepUntilMs = next ?? long.MaxValue;
            return next is long ms ? FromWheelMs(ms) : null;
        }
        finally
        {
            _gate.Exit();
        }
    }

    public long? NextDeadlineTicks()
    {
        _gate.Enter();
        try
        {
            long? next = _wheel.NextExpiration();
            return next is long ms ? FromWheelMs(ms) : null;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Fires every timer whose deadline has passed on the runtime clock. Returns how many fired.</summary>
    public int ProcessExpired()
    {
        List<TimerEntry> expired = t_expired ??= new List<TimerEntry>();
        long nowTicks = _clock.NowTicks;
        long relative = nowTicks - _baseTicks;
        // At the end of the clock's range (a paused clock advanced to a saturated deadline) every
        // deadline has passed, including one rounded up past it: fire them rather than wait forever.
        long nowMs = relative <= 0 ? 0 : nowTicks == long.MaxValue ? ToWheelMs(nowTicks) : relative / TicksPerMs;
        _gate.Enter();
        try
        {
            if (_wheel.Count == 0 || nowMs <= _wheel.Elapsed)
            {
                return 0;
            }

            _wheel.Poll(nowMs, expired);
            _sleepUntilMs = long.MaxValue;
        }
        finally
        {
            _gate.Exit();
        }

        int fired = expired.Count;
        List<Exception>? errors = null;
        try
        {
            foreach (TimerEntry entry in expired)
            {
                // Every entry taken out of the wheel fires, even if one before it throws: it is no
                // longer registered, so skipping it would leave its wait hanging for good.
                try
                {
                    entry.Fire();
                }
                catch (Exception error)
                {
                    (errors ??= new List<Exception>()).Add(error);
                }
            }
        }
        finally
        {
            expired.Clear();
        }

        if (errors is not null)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException(errors);
        }

        return fired;
    }
}
