using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>The timer leaf behind <see cref="Sleep"/> and <c>Time.SleepAsync</c>.</summary>
internal sealed class SleepTimer : TimerLeaf<bool>
{
    public SleepTimer(RuntimeCore runtime, long deadlineTicks)
        : base(runtime, deadlineTicks)
    {
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
}
