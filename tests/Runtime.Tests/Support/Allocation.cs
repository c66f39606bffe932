namespace SpindleTests.Support;

/// <summary>
/// Steady-state allocation measurement on the current-thread runtime, where every step runs on the
/// BlockOn thread so <see cref="GC.GetAllocatedBytesForCurrentThread"/> sees all of it. The
/// difference between a long and a short run cancels the per-run setup.
/// </summary>
public static class Allocation
{
    public static long BytesPerStep(Runtime runtime, Func<int, Task> run)
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

        // The least of five rounds: a one-time allocation (a queue growing, a method tiering up,
        // a segment the first time round) can land in one round's larger run; a per-step
        // allocation shows in every round. Five, not three: two full parallel test runs in fifteen
        // (none run alone or under CPU load) saw a ping-pong test measure a byte per step in each
        // of three rounds; the source was not pinned down (other tests' JIT work delaying the
        // measured code's tier-up is the likeliest), and a real per-step cost shows in all five.
        long least = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long small = Measure(1_000);
            long large = Measure(3_000);
            least = Math.Min(least, (large - small) / 2_000);
        }

        return least;
    }
}
