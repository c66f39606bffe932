using System.Runtime.CompilerServices;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

public sealed class LocalSetTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RunUntil_LocalTasksStayOnDrivingThread(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        using var local = new LocalSet(runtime.Handle);
        int driver = Environment.CurrentManagedThreadId;
        var threads = new List<int>();
        int result = local.RunUntil(async () =>
        {
            var handles = new List<JoinHandle<int>>();
            for (int i = 0; i < 10; i++)
            {
                int n = i;
                handles.Add(SpindleTask.SpawnLocal(async () =>
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                    await SpindleTask.YieldAsync();
                    await Task.Delay(1);
                    threads.Add(Environment.CurrentManagedThreadId);
                    return n;
                }));
            }

            int sum = 0;
            foreach (JoinHandle<int> h in handles)
            {
                sum += await h;
            }

            return sum;
        });
        Assert.Equal(45, result);
        Assert.Equal(20, threads.Count);
        Assert.All(threads, t => Assert.Equal(driver, t));
    }

    [Fact]
    public void SpawnLocal_WithoutLocalSet_ThrowsClearError()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        InvalidOperationException error = Rt.Run(runtime, () =>
            Task.FromResult(Assert.Throws<InvalidOperationException>(() => SpindleTask.SpawnLocal(() => Task.CompletedTask))));
        Assert.Contains("LocalSet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_AbortsPendingLocalTasks()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var local = new LocalSet(runtime.Handle);
        bool cleaned = false;
        JoinHandle handle = local.SpawnLocal(async () =>
        {
            try
            {
                await Time.SleepAsync(TimeSpan.FromHours(1));
            }
            finally
            {
                cleaned = true;
            }
        });
        local.RunUntil(async () => await SpindleTask.YieldAsync());
        Assert.False(handle.IsFinished);
        local.Dispose();
        Assert.True(cleaned);
        Assert.True(handle.IsFinished);
    }

    [Fact]
    public void Dispose_FromAnotherThreadWhileDriven_TasksUnwindOnTheDrivingThread()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var local = new LocalSet(runtime.Handle);
        int driver = Environment.CurrentManagedThreadId;
        var unwound = new StrongBox<int>();
        using var started = new ManualResetEventSlim();
        Task dispose = Task.Run(() =>
        {
            Assert.True(started.Wait(Rt.Bound), "the local task did not start");
            local.Dispose();
            // Dispose returns once the tasks have unwound.
            Assert.NotEqual(0, Volatile.Read(ref unwound.Value));
        });
        Assert.Throws<TaskAbortedException>(() => local.RunUntil(async () =>
        {
            JoinHandle child = SpindleTask.SpawnLocal(() => SleepRecordingUnwind(unwound, started.Set));
            await child;
        }));
        Assert.True(dispose.Wait(Rt.Bound), "Dispose did not return");
        dispose.GetAwaiter().GetResult();
        Assert.Equal(driver, unwound.Value);
        Assert.Equal(0, local.Count);
    }

    [Fact]
    public void Dispose_FromALocalTask_AbortsTheOthersAndTheDriverUnwindsThem()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var local = new LocalSet(runtime.Handle);
        int driver = Environment.CurrentManagedThreadId;
        var unwound = new StrongBox<int>();
        Assert.Throws<TaskAbortedException>(() => local.RunUntil(async () =>
        {
            JoinHandle sleeper = SpindleTask.SpawnLocal(() => SleepRecordingUnwind(unwound));
            await SpindleTask.YieldAsync();
            local.Dispose();
            await sleeper;
        }));
        Assert.Equal(driver, unwound.Value);
        Assert.Equal(0, local.Count);
    }

    /// <summary>Sleeps an hour (after <paramref name="started"/>); records the thread its unwinding runs on.</summary>
    private static async Task SleepRecordingUnwind(StrongBox<int> unwoundOn, Action? started = null)
    {
        try
        {
            started?.Invoke();
            await Time.SleepAsync(TimeSpan.FromHours(1));
        }
        finally
        {
            Volatile.Write(ref unwoundOn.Value, Environment.CurrentManagedThreadId);
        }
    }
}
