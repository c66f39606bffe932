using SpindleTests.Support;
using Spindle.Time;

namespace SpindleTests.Scheduling;

public sealed class SmokeTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockOn_SpawnAndJoin_ReturnsValue(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int result = Rt.Run(runtime, async () =>
        {
            JoinHandle<int> handle = SpindleTask.Spawn(async () =>
            {
                await SpindleTask.YieldAsync();
                return 21;
            });
            return await handle * 2;
        });
        Assert.Equal(42, result);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Sleep_RealClock_Completes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            await Time.SleepAsync(TimeSpan.FromMilliseconds(5));
            Assert.True(start.Elapsed >= TimeSpan.FromMilliseconds(5), $"woke after {start.Elapsed}");
        });
    }
}
