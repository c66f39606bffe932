using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>The timer leaf behind <see cref="Sleep"/> and <c>Time.SleepAsync</c>.</summary>
/// <remarks>
/// <c>Time.SleepAsync</c> rents its timer from a one-slot cache per thread and puts it back when
/// the awaiter has taken the result, so a task sleeping in a loop allocates nothing per sleep. A
/// value task handed out earlier cannot observe the reuse: every wait bumps the token version.
/// A wait that ends in cancellation is not returned (it is simply collected).
/// </remarks>
internal sealed class SleepTimer : TimerLeaf<bool>
{
    [ThreadStatic]
    private static SleepTimer? t_free;

    private readonly bool _pooled;

    public SleepTimer(RuntimeCore runtime, long deadlineTicks)
        : this(runtime, deadlineTicks, pooled: false)
    {
    }

    private SleepTimer(RuntimeCore runtime, long deadlineTicks, bool pooled)
        : base(runtime, deadlineTicks)
    {
        _pooled = pooled;
    }

    /// <summary>Sleeps until <paramref name="deadlineTicks"/> on a rented timer (Time.SleepAsync).</summary>
    public static ValueTask SleepAsync(RuntimeCore runtime, long deadlineTicks, long nowTicks, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        SleepTimer? timer = t_free;
        if (timer is not null && ReferenceEquals(timer.Runtime, runtime))
        {
            t_free = null;
            timer.DeadlineTicks = deadlineTicks;
        }
        else
        {
            timer = new SleepTimer(runtime, deadlineTicks, pooled: true);
        }

        WaitStart start;
        short token;
        try
        {
            start = timer.StartWait(file, line, member, nowTicks, out token, cancellationToken);
        }
        catch
        {
            timer.OnResultTaken();
            throw;
        }

        if (start == WaitStart.Pending)
        {
            return new ValueTask(timer, token);
        }

        // Never handed out: it can go straight back.
        timer.OnResultTaken();
        return start == WaitStart.Ready ? default : YieldOnceAsync();
    }

    protected override void OnResultTaken()
    {
        // Replaces whatever the slot holds: a timer of another (perhaps disposed) runtime used to stay
        // there for good, so every sleep of this thread's next runtime allocated its own timer.
        if (_pooled)
        {
            t_free = this;
        }
    }

    protected override string Kind => "sleep";

    protected override bool ProduceResult() => true;

    public ValueTask WaitAsync(string? file, int line, string? member, CancellationToken cancellationToken) =>
        StartWait(file, line, member, out short token, cancellationToken) switch
        {
            WaitStart.Pending => new ValueTask(this, token),
            WaitStart.Ready => default,
            _ => YieldOnceAsync(),
        };

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask YieldOnceAsync() => await SpindleTask.YieldAsync();

    public void Reset(long deadlineTicks) => Rearm(deadlineTicks);

    /// <summary>Moves the deadline to <paramref name="duration"/> from now (one clock reading).</summary>
    public void Reset(TimeSpan duration)
    {
        long deadline = Runtime.Clock.DeadlineAfter(duration, out long now);
        Rearm(deadline, now);
    }
}
