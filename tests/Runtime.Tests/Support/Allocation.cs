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

        // The least over several rounds: a one-time allocation (a queue growing, a segment the
        // first time round) can land in one round's larger run, and code that has not tiered up
        // yet can allocate what optimized code keeps on the stack; a per-step allocation of the
        // measured path shows in every round. In a full parallel test run other tests' JIT work
        // keeps pushing the tier-up back (three runs in about thirty saw a byte per step in each
        // of three or five quick rounds), so rounds go on for up to two seconds while the least
        // is still above zero: a real per-step cost never measures zero. A round whose short run
        // allocated more than its long one (a one-time allocation, e.g. by a tier-up, landed in the
        // short run) says nothing about the steps and is not counted; it could hide a real cost.
        long least = long.MaxValue;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; round < 5 || (least > 0 && clock.Elapsed < TimeSpan.FromSeconds(2)); round++)
        {
            long small = Measure(1_000);
            long large = Measure(3_000);
            if (large >= small)
            {
                least = Math.Min(least, (large - small) / 2_000);
            }
        }

        return least;
    }
}
