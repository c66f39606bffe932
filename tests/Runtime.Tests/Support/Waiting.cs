namespace SpindleTests.Support;

/// <summary>Ordering helpers for tests: wait (yielding, bounded) until a task is parked on a leaf.</summary>
public static class Waiting
{
    /// <summary>Yields until the task is idle and waiting on a leaf; returns what it waits on. Fails after <see cref="Rt.Bound"/>.</summary>
    public static async Task<LeafInfo> UntilParkedAsync(Runtime runtime, long taskId) =>
        (await UntilParkedOnAsync(runtime, taskId, kind: null)).WaitingOn!;

    /// <summary>Yields until the task is idle on a leaf of <paramref name="kind"/> (any kind when null). Fails after <see cref="Rt.Bound"/>.</summary>
    public static async Task<TaskInfo> UntilParkedOnAsync(Runtime runtime, long taskId, string? kind)
    {
        DateTime deadline = DateTime.UtcNow + Rt.Bound;
        while (true)
        {
            TaskInfo? info = runtime.Handle.GetTasks().FirstOrDefault(t =>
                t.Id == taskId && t.State == TaskState.Idle && t.WaitingOn is not null && (kind is null || t.WaitingOn.Kind == kind));
            if (info is not null)
            {
                return info;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"task #{taskId} never parked on a {kind ?? "leaf"}; tasks: {string.Join("; ", runtime.Handle.GetTasks())}");
            }

            await SpindleTask.YieldAsync();
        }
    }

    /// <summary>Yields until <paramref name="condition"/> holds; fails after <see cref="Rt.Bound"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Rt.Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the awaited condition did not hold within {Rt.Bound}");
            }

            await SpindleTask.YieldAsync();
        }
    }
}
