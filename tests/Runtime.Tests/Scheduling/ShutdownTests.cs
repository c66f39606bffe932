using SpindleTests.Support;

namespace SpindleTests.Scheduling;

public sealed class ShutdownTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Dispose_AbortsTasks_RunsFinallyBlocks(RuntimeFlavor flavor)
    {
        Runtime runtime = Rt.Build(flavor);
        int cleaned = 0;
        var started = new CountdownEvent(3);
        Rt.Run(runtime, () =>
        {
            for (int i = 0; i < 3; i++)
            {
                _ = SpindleTask.Spawn(async () =>
                {
                    try
                    {
                        started.Signal();
                        await Time.SleepAsync(TimeSpan.FromHours(1));
                    }
                    finally
                    {
                        Interlocked.Increment(ref cleaned);
                    }
                });
            }

            return Task.CompletedTask;
        });
        if (flavor == RuntimeFlavor.CurrentThread)
        {
            // Let the spawned tasks start: they run while someone drives the runtime.
            Rt.Run(runtime, async () =>
            {
                while (started.CurrentCount > 0)
                {
                    await SpindleTask.YieldAsync();
                }
            });
        }

        Assert.True(started.Wait(Rt.Bound));
        IReadOnlyList<TaskInfo> unfinished = runtime.Shutdown(TimeSpan.FromSeconds(10));
        Assert.Empty(unfinished);
        Assert.Equal(3, cleaned);
        Assert.Equal(0, runtime.Metrics.NumAliveTasks);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Shutdown_TaskStuckInForeignAwait_ReturnsWithinTimeoutAndReportsIt(RuntimeFlavor flavor)
    {
        Runtime runtime = Rt.Build(flavor);
        var never = new TaskCompletionSource();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        JoinHandle stuck = runtime.Spawn(async () =>
        {
            entered.SetResult();
            await never.Task;
        }, name: "stuck");
        if (flavor == RuntimeFlavor.CurrentThread)
        {
            Rt.Run(runtime, () => entered.Task);
        }

        Assert.True(entered.Task.Wait(Rt.Bound));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<TaskInfo> unfinished = runtime.Shutdown(TimeSpan.FromMilliseconds(300));
        Assert.True(clock.Elapsed < Rt.Bound, "shutdown must not hang");
        TaskInfo info = Assert.Single(unfinished);
        Assert.Equal("stuck", info.Name);

        // When the foreign await finally completes, the task still unwinds (on the thread pool).
        never.SetResult();
        Assert.True(SpinWait.SpinUntil(() => stuck.IsFinished, Rt.Bound));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Spawn_AfterShutdown_ThrowsClearError(RuntimeFlavor flavor)
    {
        Runtime runtime = Rt.Build(flavor);
        runtime.Dispose();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => runtime.Spawn(() => Task.CompletedTask));
        Assert.Contains("shut down", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => runtime.BlockOn(() => Task.CompletedTask));
        runtime.Dispose();
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Shutdown_BlockingTaskRunning_IsNotWaitedPastTimeout(RuntimeFlavor flavor)
    {
        Runtime runtime = Rt.Build(flavor);
        using var release = new ManualResetEventSlim();
        var entered = new ManualResetEventSlim();
        JoinHandle blocking = runtime.Handle.SpawnBlocking(() =>
        {
            entered.Set();
            release.Wait(Rt.Bound);
        });
        Assert.True(entered.Wait(Rt.Bound));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<TaskInfo> unfinished = runtime.Shutdown(TimeSpan.FromMilliseconds(200));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"shutdown took {clock.Elapsed}");
        Assert.Single(unfinished);
        release.Set();
        Assert.True(SpinWait.SpinUntil(() => blocking.IsFinished, Rt.Bound));
    }

    [Fact]
    public void Shutdown_FromInsideRuntime_Throws()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        InvalidOperationException error = Rt.Run(runtime, () => Task.FromResult(Assert.Throws<InvalidOperationException>(() => runtime.Shutdown(TimeSpan.Zero))));
        Assert.Contains("cannot be shut down from one of its own tasks", error.Message, StringComparison.Ordinal);
    }
}
