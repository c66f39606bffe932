using System;
using System.Threading;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>
/// A <see cref="TimeProvider"/> on the runtime's clock and timer wheel, so code written against
/// TimeProvider (Task.Delay(TimeSpan, TimeProvider), CancellationTokenSource with a provider,
/// PeriodicTimer) follows the runtime's paused clock in tests.
/// </summary>
internal sealed class RuntimeTimeProvider : TimeProvider
{
    private readonly RuntimeCore _runtime;
    private readonly DateTimeOffset _utcAtStart;
    private readonly long _ticksAtStart;

    public RuntimeTimeProvider(RuntimeCore runtime)
    {
        _runtime = runtime;
        _utcAtStart = TimeProvider.System.GetUtcNow();
        _ticksAtStart = runtime.Clock.NowTicks;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _runtime.Clock.NowTicks;

    public override DateTimeOffset GetUtcNow() => _utcAtStart + TimeSpan.FromTicks(_runtime.Clock.NowTicks - _ticksAtStart);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ProviderTimer.ValidateTime(dueTime);
        ProviderTimer.ValidateTime(period);
        var timer = new ProviderTimer(_runtime, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>An <see cref="ITimer"/> on the wheel; callbacks run on the thread pool, as System.Threading.Timer's do.</summary>
    private sealed class ProviderTimer : TimerEntry, ITimer
    {
        private readonly RuntimeCore _runtime;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private static readonly TimeSpan MaxTimerTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

        private readonly Lock _gate = new();
        private long _periodTicks;
        private long _dueTicks;
        private bool _disposed;

        public ProviderTimer(RuntimeCore runtime, TimerCallback callback, object? state)
        {
            _runtime = runtime;
            _callback = callback;
            _state = state;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ValidateTime(dueTime);
            ValidateTime(period);
            lock (_gate)
            {
                if (_disposed)
                {
                    return false;
                }

                _periodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    _runtime.Time.Cancel(this);
                    _dueTicks = long.MaxValue;
                    return true;
                }

                long now = _runtime.Clock.NowTicks;
                _dueTicks = now + dueTime.Ticks;
                // One step, so a registration a racing Fire made is replaced rather than doubled.
                if (!_runtime.Time.Rearm(this, _dueTicks, now, generation: 0))
                {
                    // Due now: fired on the thread pool (not under this lock); a paused clock waits for it.
                    _runtime.Time.InhibitAutoAdvance();
                    ThreadPool.UnsafeQueueUserWorkItem(static t => ((ProviderTimer)t!).FireThenAllow(), this, preferLocal: false);
                }

                return true;
            }
        }

        /// <summary>System.Threading.Timer's rule: -1 ms (infinite) or 0 to 4294967294 ms.</summary>
        internal static void ValidateTime(TimeSpan value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
        {
            if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value > MaxTimerTime))
            {
                throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be Timeout.InfiniteTimeSpan or between 0 and {MaxTimerTime} (4294967294 ms), as for System.Threading.Timer.");
            }
        }

        internal override void Fire()
        {
            lock (_gate)
            {
                long now = _runtime.Clock.NowTicks;
                if (_disposed || _dueTicks > now)
                {
                    // Disposed, or a stale firing: a Change moved the due time after the driver took
                    // this timer out of the wheel (its own registration fires at the new time).
                    return;
                }

                if (_periodTicks > 0)
                {
                    _dueTicks += _periodTicks;
                    if (!_runtime.Time.Rearm(this, Math.Max(_dueTicks, now + 1), now, generation: 0))
                    {
                        _dueTicks = now;
                    }
                }
                else
                {
                    _dueTicks = long.MaxValue;
                }
            }

            // A paused clock does not jump ahead while the callback runs (it may set timers or wake tasks).
            _runtime.Time.InhibitAutoAdvance();
            ThreadPool.UnsafeQueueUserWorkItem(static t => ((ProviderTimer)t!).RunCallback(), this, preferLocal: false);
        }

        private void RunCallback()
        {
            try
            {
                _callback(_state);
            }
            finally
            {
                _runtime.Time.AllowAutoAdvance();
            }
        }

        private void FireThenAllow()
        {
            try
            {
                Fire();
            }
            finally
            {
                _runtime.Time.AllowAutoAdvance();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _runtime.Time.Cancel(this);
            }
        }

        public System.Threading.Tasks.ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
