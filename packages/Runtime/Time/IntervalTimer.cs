using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>The timer leaf behind <see cref="Interval"/>: each wait yields the tick's scheduled instant and moves the schedule on.</summary>
internal sealed class IntervalTimer : TimerLeaf<Instant>
{
    /// <summary>How late a tick may be returned before it counts as missed (tokio: 5 ms).</summary>
    private const long MissedTickSlack = 5 * TimeSpan.TicksPerMillisecond;

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
        long next;
        // tokio's rule: a tick counts as missed only when it is returned more than 5 ms late; the
        // behaviour then decides the next deadline. Sums saturate (a period near TimeSpan.MaxValue
        // makes the next tick "never", not a wrapped-around instant in the past).
        if (now > Instant.SaturatingAdd(tick, MissedTickSlack))
        {
            next = Behavior switch
            {
                // Ticks at multiples of the period from now.
                MissedTickBehavior.Delay => Instant.SaturatingAdd(now, _periodTicks),
                // The first tick of the original schedule that lies after now.
                MissedTickBehavior.Skip => Instant.SaturatingAdd(now, _periodTicks - ((now - tick) % _periodTicks)),
                _ => Instant.SaturatingAdd(tick, _periodTicks),
            };
        }
        else
        {
            next = Instant.SaturatingAdd(tick, _periodTicks);
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
