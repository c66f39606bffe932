using SpindleTests.Support;

namespace SpindleTests.Timers;

/// <summary>
/// Steady-state allocation checks on the current-thread runtime, where every step runs on the
/// BlockOn thread so <see cref="GC.GetAllocatedBytesForCurrentThread"/> sees all of it. The
/// difference between a long and a short run cancels the per-run setup.
/// </summary>
public sealed class AllocationTests
{
    private static long BytesPerStep(Runtime runtime, Func<int, Task> run)
    {
        Rt.Run(runtime, () => run(200));
        long Measure(int steps)
        {
            long bytes = 0;
            runtime.BlockOn(async () =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                await run(steps);
                bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            });
            return bytes;
        }

        long small = Measure(1_000);
        long large = Measure(3_000);
        return (large - small) / 2_000;
    }

    [Fact]
    public void IntervalTick_PausedClock_AllocatesNothingPerTick()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Interval interval = runtime.BlockOn(() => Task.FromResult(Time.Interval(TimeSpan.FromMilliseconds(1))));
        long perTick = BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await interval.TickAsync();
            }
        });
        Assert.Equal(0, perTick);
    }

    [Fact]
    public void SleepResetAndAwait_PausedClock_AllocatesNothingPerSleep()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Sleep sleep = runtime.BlockOn(() => Task.FromResult(Time.Sleep(TimeSpan.Zero)));
        long perSleep = BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                sleep.Reset(TimeSpan.FromMilliseconds(1));
                await sleep;
            }
        });
        Assert.Equal(0, perSleep);
    }

    [Fact]
    public void Yield_AllocatesNothingPerYield()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long perYield = BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await SpindleTask.YieldAsync();
            }
        });
        Assert.Equal(0, perYield);
    }

    [Fact]
    public void SleepAsync_InALoop_AllocatesNothingPerSleep()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        long perSleep = BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await Time.SleepAsync(TimeSpan.FromMilliseconds(1));
            }
        });
        Assert.Equal(0, perSleep);
    }
}
