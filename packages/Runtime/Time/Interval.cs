using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>
/// Ticks at a fixed period on the runtime clock, like tokio's <c>Interval</c>. The first tick
/// completes at the start instant (immediately for <see cref="Time.Interval(TimeSpan)"/>).
/// </summary>
/// <remarks>
/// <para><b>Cancellation:</b> if the awaiting task is aborted, times out, or the token fires while
/// <see cref="TickAsync"/> is pending, the await throws <see cref="OperationCanceledException"/>
/// and the tick is not consumed: the next <see cref="TickAsync"/> returns it.</para>
/// <para><b>Thread safety:</b> one awaiter at a time; <see cref="Reset()"/> and the properties may be
/// called from the owning task.</para>
/// <para>Allocation: none per tick in steady state; one object per interval.</para>
/// </remarks>
/// <example>
/// <code>
/// Interval interval = Time.Interval(TimeSpan.FromSeconds(1));
/// while (true) { Instant tick = await interval.TickAsync(); Report(tick); }
/// </code>
/// </example>
public sealed class Interval
{
    private readonly IntervalTimer _timer;

    internal Interval(RuntimeCore runtime, Instant start, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        Period = period;
        _timer = new IntervalTimer(runtime, start.Ticks, period.Ticks);
    }

    /// <summary>Gets the period between ticks.</summary>
    public TimeSpan Period { get; }

    /// <summary>Gets or sets what happens when ticks are missed. Default: <see cref="MissedTickBehavior.Burst"/>.</summary>
    public MissedTickBehavior MissedTickBehavior
    {
        get => _timer.Behavior;
        set => _timer.Behavior = value;
    }

    /// <summary>Gets the instant of the next tick.</summary>
    public Instant NextTick => Instant.FromTicks(_timer.DeadlineTicks);

    /// <summary>Waits for the next tick and returns its scheduled instant.</summary>
    /// <param name="cancellationToken">Ends the wait early; the tick is kept for the next call.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The instant the tick was scheduled for (not when it was observed).</returns>
    public ValueTask<Instant> TickAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _timer.TickAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Restarts the schedule: the next tick is one period from now.</summary>
    public void Reset() => _timer.ResetTo(_timer.RuntimeOf().Clock.DeadlineAfter(Period, out _));

    /// <summary>Makes the next tick happen now.</summary>
    public void ResetImmediately() => _timer.ResetTo(_timer.RuntimeOf().Clock.NowTicks);

    /// <summary>Makes the next tick happen at <paramref name="deadline"/>.</summary>
    /// <param name="deadline">The instant of the next tick.</param>
    public void ResetAt(Instant deadline) => _timer.ResetTo(deadline.Ticks);
}
