using System;
using System.Threading;
using Spindle.Internal;
using Spindle.Time;

namespace Spindle.Scheduling;

/// <summary>
/// What an idle worker parks on when it holds the driver: it sleeps until the next timer (or until
/// unparked), then fires expired timers. With a paused clock and an idle runtime it jumps the clock
/// to the next timer instead of sleeping (auto-advance).
/// </summary>
/// <remarks>
/// Only one thread parks here at a time (the scheduler guarantees it). With the I/O driver the wait
/// is the backend's poll (<c>epoll_wait</c>) and the unpark its wake (an eventfd write); without it,
/// a monitor wait and pulse. Either way an unpark that lands before the park starts makes the park
/// return at once: no lost wake-up. With I/O, <see cref="_sleeping"/> and <see cref="_ioNotified"/>
/// pair like Dekker's flags (each side writes its own with a full fence, then reads the other's),
/// so an unpark costs the wake system call only while the parker may really be blocked.
/// </remarks>
internal sealed class Driver
{
    private readonly object _gate = new();
    private readonly TimeDriver _time;
    private readonly RuntimeClock _clock;
    private readonly IO.IoDriver? _io;
    private bool _notified;
    private int _ioNotified;
    private int _sleeping;

    public Driver(TimeDriver time, IO.IoDriver? io = null)
    {
        _time = time;
        _clock = time.Clock;
        _io = io;
        _time.DeadlineAdvanced = Unpark;
    }

    public TimeDriver Time => _time;

    /// <summary>The I/O driver, or null when the runtime was built without I/O.</summary>
    public IO.IoDriver? Io => _io;

    /// <summary>Dispatches ready I/O and fires due timers without blocking (periodic maintenance). Returns how many fired.</summary>
    /// <remarks>
    /// With no resource registered there is no readiness to collect, so the poll skips the I/O
    /// backend's system call (an <c>epoll_wait</c> every <c>EventInterval</c> polls cost spawn-heavy
    /// work about a tenth of its time). A resource registered meanwhile is seen by the next poll or park.
    /// </remarks>
    public int Poll()
    {
        if (_io is not null && _io.RegistrationCount != 0 && !_io.IsShutdown)
        {
            _io.Poll(0);
        }

        return _time.ProcessExpired();
    }

    /// <summary>
    /// Parks until unparked or the next timer is due, then fires due timers.
    /// <paramref name="isIdle"/> says whether the whole runtime is idle, for auto-advance.
    /// </summary>
    public void Park(Func<bool> isIdle, int maxWaitMs = Timeout.Infinite)
    {
        if (_time.ProcessExpired() > 0)
        {
            return;
        }

        long? next = _time.NextDeadlineTicksForPark();
        int timeoutMs = Timeout.Infinite;
        if (next is long deadline)
        {
            if (_clock.IsPaused)
            {
                // Ready I/O comes first: time jumps only when nothing at all is left to do.
                if (_io is not null && !_io.IsShutdown && _io.Poll(0) > 0)
                {
                    return;
                }

                if (isIdle())
                {
                    // Jump to the earliest deadline as of now, not as read above: a task that ran
                    // between that read and the idle check may have registered an earlier timer
                    // (and then parked), and jumping past it would skip the work it was due to do.
                    if (_time.NextDeadlineTicks() is long earliest)
                    {
                        _clock.AdvanceTo(earliest);
                    }

                    _time.ProcessExpired();
                    return;
                }
            }
            else
            {
                long wait = deadline - _clock.NowTicks;
                if (wait <= 0)
                {
                    _time.ProcessExpired();
                    return;
                }

                // Round up so the timer is due when we wake; cap to what Monitor.Wait accepts.
                timeoutMs = (int)Math.Min(int.MaxValue - 1, (wait + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
            }
        }

        if (maxWaitMs != Timeout.Infinite && (timeoutMs == Timeout.Infinite || maxWaitMs < timeoutMs))
        {
            timeoutMs = maxWaitMs;
        }

        if (_io is not null)
        {
            ParkIo(timeoutMs);
        }
        else
        {
            lock (_gate)
            {
                if (!_notified)
                {
                    Monitor.Wait(_gate, timeoutMs);
                }

                _notified = false;
            }
        }

        _time.ProcessExpired();
    }

    private void ParkIo(int timeoutMs)
    {
        Interlocked.Exchange(ref _sleeping, 1);
        if (Interlocked.Exchange(ref _ioNotified, 0) != 0)
        {
            // Unparked already: just collect what is ready.
            timeoutMs = 0;
        }

        if (_io!.IsShutdown)
        {
            Volatile.Write(ref _sleeping, 0);
            return;
        }

        _io.Poll(timeoutMs);
        // A notification left set makes the next park look once without blocking: harmless, never lost.
        Volatile.Write(ref _sleeping, 0);
    }

    /// <summary>
    /// Before <see cref="Park"/>: spins up to <paramref name="ticks"/> for an <see cref="Unpark"/>,
    /// which meanwhile only sets a flag (no system call), or for ready I/O. Not under a paused clock,
    /// where being idle is what moves time on.
    /// </summary>
    /// <returns>Whether an unpark or ready I/O ended the spin; the caller then looks at its queue again instead of parking.</returns>
    public bool SpinForUnpark(long ticks)
    {
        if (_clock.IsPaused || !IdleSpin.Until(this, static d => d.IsUnparked || d.PollReadyIo(), ticks))
        {
            return false;
        }

        // The caller is awake and goes back to its queue instead of parking: the unpark is consumed
        // here, as a park would (one arriving after this makes the next park return at once).
        if (_io is not null)
        {
            Interlocked.Exchange(ref _ioNotified, 0);
        }
        else
        {
            lock (_gate)
            {
                _notified = false;
            }
        }

        return true;
    }

    private bool IsUnparked => _io is not null ? Volatile.Read(ref _ioNotified) != 0 : Volatile.Read(ref _notified);

    /// <summary>
    /// For a spin before a park, by the driver's owner: dispatches I/O that is ready now (nothing
    /// else would see it until the park), so a spin never delays a socket event.
    /// </summary>
    /// <returns>Whether any event was dispatched (its tasks are scheduled).</returns>
    public bool PollReadyIo() => _io is not null && _io.RegistrationCount != 0 && !_io.IsShutdown && _io.Poll(0) > 0;

    public void Unpark()
    {
        if (_io is not null)
        {
            // Already notified and not yet consumed: the parker consumes the flag before it looks at
            // its queues again, so it will see whatever the caller queued before this call. Spares
            // a burst of remote spawns an interlocked exchange each.
            if (Volatile.Read(ref _ioNotified) != 0)
            {
                return;
            }

            Interlocked.Exchange(ref _ioNotified, 1);
            if (Volatile.Read(ref _sleeping) != 0)
            {
                _io.Wake();
            }

            return;
        }

        lock (_gate)
        {
            _notified = true;
            Monitor.Pulse(_gate);
        }
    }
}
