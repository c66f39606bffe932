using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>The timer leaf behind <see cref="Interval"/>: each wait yields the tick's scheduled instant and moves the schedule on.</summary>
internal sealed class IntervalTimer : TimerLeaf<Instant>
{
    private readonly long _periodTicks;

    public IntervalTimer(RuntimeCore runtime, long startTicks, long periodTicks)
        : base(runtime, startTicks)
    {
        _periodTicks = periodTicks;
    }

    public MissedTickBehavior Behavior { get; set; }

    protected override string Kind => "interval tick";

    protected override Instant ProduceResult()
    {
        long tick = DeadlineTicks;
        long now = Runtime.Clock.NowTicks;
        long next = tick + _periodTicks;
        if (next <= now)
        {
            switch (Behavior)
            {
                case MissedTickBehavior.Delay:
                    next = now + _periodTicks;
                    break;
                case MissedTickBehavior.Skip:
                    // The first tick of the original schedule that lies after now.
                    long behind = now - tick;
                    next = tick + ((behind / _periodTicks) + 1) * _periodTicks;
                    break;
                default:
                    break;
            }
        }

        DeadlineTicks = next;
        return Instant.FromTicks(tick);
    }

    public ValueTask<Instant> TickAsync(string? file, int line, string? member, CancellationToken cancellationToken) =>
        StartWait(file, line, member, out short token, cancellationToken) switch
        {
            WaitStart.Pending => new ValueTask<Instant>(this, token),
            WaitStart.Ready => new ValueTask<Instant>(ProduceResult()),
            _ => TickAfterYieldAsync(),
        };

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Instant> TickAfterYieldAsync()
    {
        await SpindleTask.YieldAsync();
        return ProduceReadyResult();
    }

    public void ResetTo(long deadlineTicks) => Rearm(deadlineTicks);
}
