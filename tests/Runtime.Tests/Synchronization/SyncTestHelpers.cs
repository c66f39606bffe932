using SpindleTests.Support;

namespace SpindleTests.Synchronization;

/// <summary>Shared steps of the broadcast and watch suites: waiting for a task to park on a leaf, and allocation measurement.</summary>
internal static class SyncTestHelpers
{
    /// <summary>Yields until the task is idle on a leaf of <paramref name="kind"/> (bounded by the caller's Rt.Run).</summary>
    public static async Task<TaskInfo> WaitUntilParkedAsync(Runtime runtime, long taskId, string kind)
    {
        while (true)
        {
            TaskInfo? found = runtime.Handle.GetTasks().FirstOrDefault(t => t.Id == taskId && t.State == TaskState.Idle && t.WaitingOn?.Kind == kind);
            if (found is not null)
            {
                return found;
            }

            await SpindleTask.YieldAsync();
        }
    }

    /// <summary>
    /// Steady-state bytes per step on the current-thread runtime (see Timers/AllocationTests.cs): every
    /// step runs on the BlockOn thread, and a long run minus a short run cancels the per-run setup.
    /// </summary>
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
