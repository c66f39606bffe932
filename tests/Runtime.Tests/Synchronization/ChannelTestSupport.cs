using SpindleTests.Support;

namespace SpindleTests.Synchronization;

/// <summary>Waits, without wall-clock sleeps, until a task is parked on a given Spindle leaf.</summary>
internal static class ChannelTestSupport
{
    /// <summary>Yields until <paramref name="task"/> is idle on a leaf of <paramref name="kind"/>; bounded by <see cref="Rt.Bound"/>.</summary>
    public static async Task<TaskInfo> WaitUntilWaitingOn(Runtime runtime, long task, string kind)
    {
        using var bound = new CancellationTokenSource(Rt.Bound);
        while (true)
        {
            TaskInfo? info = runtime.Handle.GetTasks().FirstOrDefault(t => t.Id == task && t.State == TaskState.Idle && t.WaitingOn?.Kind == kind);
            if (info is not null)
            {
                return info;
            }

            if (bound.IsCancellationRequested)
            {
                throw new TimeoutException($"task {task} never waited on {kind}: {string.Join("; ", runtime.Handle.GetTasks())}");
            }

            await SpindleTask.YieldAsync();
        }
    }
}
