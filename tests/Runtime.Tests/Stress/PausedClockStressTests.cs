using SpindleTests.Support;

namespace SpindleTests.Stress;

/// <summary>
/// The paused clock jumps only when the whole runtime is idle, and only to the earliest timer as of
/// that moment. CI once saw a sleep reset to +250 ms end at +8.192 s: the parked driver holder had
/// read the next deadline (the 10 s sleep's cascade point), the resetter then registered its 100 ms
/// sleep and parked, and the idle check passed, so time jumped past the resetter's timer. A fresh
/// two-worker runtime per round makes the start-up interleavings vary. Short form by default (the
/// race showed about once in 2,000 rounds under load); <c>SPINDLE_STRESS=long</c> for 5,000 rounds.
/// </summary>
[Trait("Category", "Stress")]
public sealed class PausedClockStressTests
{
    private static readonly bool s_long = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long";

    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void FreshRuntimes_WokenTaskResetsSleep_ClockNeverJumpsPastTheNewDeadline()
    {
        int rounds = s_long ? 5_000 : 1_000;
        var wrong = new List<(int Round, TimeSpan Woke)>();
        for (int round = 0; round < rounds; round++)
        {
            using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread, paused: true);
            TimeSpan woke = Rt.Run(runtime, async () =>
            {
                Instant start = Instant.Now;
                Sleep sleep = Time.Sleep(TimeSpan.FromSeconds(10));
                JoinHandle resetter = SpindleTask.Spawn(async () =>
                {
                    await Time.SleepAsync(100 * Ms);
                    sleep.Reset(start + 250 * Ms);
                });
                await sleep;
                await resetter;
                return Instant.Now - start;
            });
            if (woke != 250 * Ms)
            {
                wrong.Add((round, woke));
            }
        }

        Assert.Empty(wrong);
    }
}
