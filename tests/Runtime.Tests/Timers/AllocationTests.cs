using SpindleTests.Support;

namespace SpindleTests.Timers;

/// <summary>Steady-state allocation checks of the timer leaves (see <see cref="Allocation"/>).</summary>
public sealed class AllocationTests
{
    [Fact]
    public void IntervalTick_PausedClock_AllocatesNothingPerTick()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Interval interval = runtime.BlockOn(() => Task.FromResult(Time.Interval(TimeSpan.FromMilliseconds(1))));
        long perTick = Allocation.BytesPerStep(runtime, async steps =>
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
        long perSleep = Allocation.BytesPerStep(runtime, async steps =>
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
        long perYield = Allocation.BytesPerStep(runtime, async steps =>
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
        long perSleep = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await Time.SleepAsync(TimeSpan.FromMilliseconds(1));
            }
        });
        Assert.Equal(0, perSleep);
    }

    [Fact]
    public void SleepAsync_AfterAnotherRuntimeSleptOnThisThread_StillAllocatesNothingPerSleep()
    {
        // The thread's one-slot timer cache then holds the other runtime's timer; it used to keep it
        // for good, and every sleep of the new runtime on this thread allocated a timer.
        using (Runtime earlier = Rt.Build(RuntimeFlavor.CurrentThread, paused: true))
        {
            earlier.BlockOn(async () => await Time.SleepAsync(TimeSpan.FromMilliseconds(1)));
        }

        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        long perSleep = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await Time.SleepAsync(TimeSpan.FromMilliseconds(1));
            }
        });
        Assert.Equal(0, perSleep);
    }
}
