namespace SpindleTests.Support;

/// <summary>
/// Steady-state allocation per step on the current-thread runtime, where every step runs on the
/// BlockOn thread so <see cref="GC.GetAllocatedBytesForCurrentThread"/> sees all of it. The
/// difference between a long and a short run cancels the per-run setup (spawns, state machines).
/// </summary>
public static class AllocationProbe
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

        long small = Measure(1_000);
        long large = Measure(3_000);
        return (large - small) / 2_000;
    }
}
