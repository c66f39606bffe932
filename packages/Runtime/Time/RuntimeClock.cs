using System;
using System.Threading;
using Spindle.Internal;

namespace Spindle.Time;

/// <summary>
/// The runtime's clock: the system's monotonic clock, or a paused clock that moves only when told to
/// (<c>Advance</c>) or when the runtime is idle and a timer is pending (auto-advance, as tokio's
/// <c>start_paused</c>).
/// </summary>
/// <remarks>
/// Readings are in <see cref="TimeSpan"/> ticks since the process clock's origin. While running,
/// now = system + offset; pausing freezes now; resuming recomputes the offset so time continues
/// from where it stopped. Writers hold <see cref="_gate"/>; readers take a volatile snapshot.
/// </remarks>
internal sealed class RuntimeClock
{
    private readonly Lock _gate = new();
    private long _offset;
    private long _pausedAt;
    private volatile bool _paused;

    public RuntimeClock(bool startPaused)
    {
        if (startPaused)
        {
            _pausedAt = Clock.SystemTicks();
            _paused = true;
        }
    }

    public bool IsPaused => _paused;

    // Volatile reads: a long read is atomic on every platform .NET runs on, and Interlocked.Read is a
    // locked compare-exchange (about a quarter of a clock reading on a 64-bit machine).
    public long NowTicks => _paused ? Volatile.Read(ref _pausedAt) : Clock.SystemTicks() + Volatile.Read(ref _offset);

    /// <summary>
    /// The deadline <paramref name="duration"/> from now, and the reading it counts from (for the
    /// caller's "already passed" check, so it need not read the clock again).
    /// </summary>
    public long DeadlineAfter(TimeSpan duration, out long nowTicks)
    {
        nowTicks = NowTicks;
        return (Instant.FromTicks(nowTicks) + duration).Ticks;
    }

    public void Pause()
    {
        lock (_gate)
        {
            if (_paused)
            {
                throw new InvalidOperationException("The runtime clock is already paused. Call Resume before pausing again.");
            }

            Interlocked.Exchange(ref _pausedAt, Clock.SystemTicks() + _offset);
            _paused = true;
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            if (!_paused)
            {
                throw new InvalidOperationException("The runtime clock is not paused. Call Pause (or build the runtime with StartPaused) first.");
            }

            Interlocked.Exchange(ref _offset, _pausedAt - Clock.SystemTicks());
            _paused = false;
        }
    }

    /// <summary>Moves a paused clock forward (to the end of the clock's range at most).</summary>
    public void Advance(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        lock (_gate)
        {
            if (!_paused)
            {
                throw new InvalidOperationException("Time can only be advanced while the runtime clock is paused. Build the runtime with StartPaused() or call Time.Pause() first.");
            }

            Interlocked.Exchange(ref _pausedAt, Instant.SaturatingAdd(_pausedAt, duration.Ticks));
        }
    }

    /// <summary>Moves a paused clock forward to <paramref name="ticks"/> if that is later (auto-advance).</summary>
    public void AdvanceTo(long ticks)
    {
        lock (_gate)
        {
            if (_paused && ticks > _pausedAt)
            {
                Interlocked.Exchange(ref _pausedAt, ticks);
            }
        }
    }
}
