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
            lock (_gate)
            {
                if (_disposed)
                {
                    return false;
                }

                _runtime.Time.Cancel(this);
                _periodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                _dueTicks = _runtime.Clock.NowTicks + Math.Max(0, dueTime.Ticks);
                if (!_runtime.Time.Register(this, _dueTicks))
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static t => ((ProviderTimer)t!).Fire(), this, preferLocal: false);
                }

                return true;
            }
        }

        internal override void Fire()
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                if (_periodTicks > 0)
                {
                    _dueTicks += _periodTicks;
                    if (!_runtime.Time.Register(this, Math.Max(_dueTicks, _runtime.Clock.NowTicks + 1)))
                    {
                        _dueTicks = _runtime.Clock.NowTicks;
                    }
                }
            }

            ThreadPool.UnsafeQueueUserWorkItem(static t => { var p = (ProviderTimer)t!; p._callback(p._state); }, this, preferLocal: false);
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
