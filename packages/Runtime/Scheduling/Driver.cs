using System;
using System.Threading;
using Spindle.Time;

namespace Spindle.Scheduling;

/// <summary>
/// What an idle worker parks on when it holds the driver: it sleeps until the next timer (or until
/// unparked), then fires expired timers. With a paused clock and an idle runtime it jumps the clock
/// to the next timer instead of sleeping (auto-advance).
/// </summary>
/// <remarks>
/// Only one thread parks here at a time (the scheduler guarantees it). The I/O driver of
/// DESIGN.md §4 replaces the monitor wait with <c>epoll_wait</c> and the pulse with an eventfd write.
/// Unpark sets <see cref="_notified"/> under the monitor, so an unpark that lands before the park
/// starts makes the park return at once: no lost wake-up.
/// </remarks>
internal sealed class Driver
{
    private readonly object _gate = new();
    private readonly TimeDriver _time;
    private readonly RuntimeClock _clock;
    private bool _notified;

    public Driver(TimeDriver time)
    {
        _time = time;
        _clock = time.Clock;
        _time.DeadlineAdvanced = Unpark;
    }

    public TimeDriver Time => _time;

    /// <summary>Fires due timers without blocking (periodic maintenance). Returns how many fired.</summary>
    public int Poll() => _time.ProcessExpired();

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
                if (isIdle())
                {
                    _clock.AdvanceTo(deadline);
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

        lock (_gate)
        {
            if (!_notified)
            {
                Monitor.Wait(_gate, timeoutMs);
            }

            _notified = false;
        }

        _time.ProcessExpired();
    }

    public void Unpark()
    {
        lock (_gate)
        {
            _notified = true;
            Monitor.Pulse(_gate);
        }
    }
}
