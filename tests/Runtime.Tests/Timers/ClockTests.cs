using Spindle.Internal;
using SpindleTests.Support;

namespace SpindleTests.Timers;

/// <summary>
/// The system clock and the deadlines counted from it on a running (not paused) clock. Every
/// assertion brackets a reading between two others, so none depends on how long the test thread
/// runs or sleeps.
/// </summary>
public sealed class ClockTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [Fact]
    public void SystemTicks_RunWithTheStopwatch()
    {
        // The direct clock_gettime reading and the Stopwatch's must be one clock, so Instant and user
        // code timing with a Stopwatch agree on elapsed time. Each interval brackets the other (one
        // tick of slack for the conversion to 100 ns ticks).
        long outerStart = System.Diagnostics.Stopwatch.GetTimestamp();
        long start = Clock.SystemTicks();
        long innerStart = System.Diagnostics.Stopwatch.GetTimestamp();
        long innerEnd;
        do
        {
            innerEnd = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        while (System.Diagnostics.Stopwatch.GetElapsedTime(innerStart, innerEnd) < TimeSpan.FromMilliseconds(5));

        long end = Clock.SystemTicks();
        long outerEnd = System.Diagnostics.Stopwatch.GetTimestamp();
        TimeSpan ours = TimeSpan.FromTicks(end - start);
        TimeSpan inner = System.Diagnostics.Stopwatch.GetElapsedTime(innerStart, innerEnd);
        TimeSpan outer = System.Diagnostics.Stopwatch.GetElapsedTime(outerStart, outerEnd);
        Assert.True(ours >= inner - TimeSpan.FromTicks(1), $"the clock measured {ours} around a Stopwatch interval of {inner}");
        Assert.True(ours <= outer + TimeSpan.FromTicks(1), $"the clock measured {ours} inside a Stopwatch interval of {outer}");
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Deadlines_CountFromThePreciseClock_ShortAndLong(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, () =>
        {
            foreach (TimeSpan duration in new[] { TimeSpan.FromMilliseconds(3), Long })
            {
                Instant before = Instant.Now;
                Sleep sleep = Time.Sleep(duration);
                Instant after = Instant.Now;
                AssertWithin(sleep.Deadline, before + duration, after + duration);

                before = Instant.Now;
                sleep.Reset(duration);
                after = Instant.Now;
                AssertWithin(sleep.Deadline, before + duration, after + duration);
            }

            return Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void PausedClock_LongDeadlines_AreExact(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Sleep sleep = Time.Sleep(Long);
            Assert.Equal(start + Long, sleep.Deadline);
            sleep.Reset(2 * Long);
            Assert.Equal(start + (2 * Long), sleep.Deadline);
            await Time.SleepAsync(Long);
            Assert.Equal(start + Long, Instant.Now);
        });
    }

    private static void AssertWithin(Instant actual, Instant earliest, Instant latest) =>
        Assert.True(actual >= earliest && actual <= latest,
            $"deadline {actual.Ticks} is outside [{earliest.Ticks}, {latest.Ticks}] (ticks)");
}
