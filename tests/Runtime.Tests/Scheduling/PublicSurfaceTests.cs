using System.Runtime.InteropServices;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>Behaviour of the smaller public members that the contract suites do not reach.</summary>
public sealed class PublicSurfaceTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ValueTaskOverloads_SpawnJoinAndBlockOn(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int result = runtime.BlockOn(async ValueTask<int> () =>
        {
            JoinHandle<int> typed = runtime.Handle.Spawn(async ValueTask<int> () =>
            {
                await SpindleTask.YieldAsync();
                return 20;
            });
            int ran = 0;
            JoinHandle untyped = runtime.Handle.Spawn(async ValueTask () =>
            {
                await SpindleTask.YieldAsync();
                ran = 2;
            });
            await untyped;
            using var set = new JoinSet<int>();
            set.Spawn(async ValueTask<int> () =>
            {
                await SpindleTask.YieldAsync();
                return 20;
            });
            set.SpawnOn(runtime.Handle, () => Task.FromResult(0));
            int fromSet = 0;
            while (await set.JoinNextAsync() is { } r)
            {
                Assert.True(r.TryGetValue(out int v));
                fromSet += v;
            }

            return await typed + ran + fromSet;
        });
        Assert.Equal(42, result);
    }

    [Fact]
    public void RuntimeRun_VoidOverload_RunsToCompletion()
    {
        bool ran = false;
        Runtime.Run(async () =>
        {
            await Time.SleepAsync(TimeSpan.FromMilliseconds(1));
            ran = true;
        });
        Assert.True(ran);
        Assert.Equal(3, Runtime.Run(() => Task.FromResult(3)));
    }

    [Fact]
    public void JoinHandle_EqualityAndConversion_FollowTheTask()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        Rt.Run(runtime, async () =>
        {
            JoinHandle<int> a = SpindleTask.Spawn(() => Task.FromResult(1));
            JoinHandle<int> b = SpindleTask.Spawn(() => Task.FromResult(2));
            JoinHandle untypedA = a.ToJoinHandle();
            Assert.Equal(a.Id, untypedA.Id);
            JoinHandle<int> alsoA = a;
            Assert.True(a == alsoA && a != b && !a.Equals(b) && a.Equals((object)alsoA));
            Assert.Equal(untypedA, (JoinHandle)a);
            Assert.NotEqual(default, untypedA);
            await untypedA;
            Assert.Equal(2, await b);
            Assert.Throws<InvalidOperationException>(() => default(JoinHandle<int>).Id);
        });
    }

    [Fact]
    public void RuntimeHandle_Equality_AndCurrentOutsideRuntime()
    {
        using Runtime one = Rt.Build(RuntimeFlavor.CurrentThread);
        using Runtime two = Rt.Build(RuntimeFlavor.CurrentThread);
        Assert.True(one.Handle == one.Handle);
        Assert.True(one.Handle != two.Handle);
        Assert.Equal(RuntimeFlavor.CurrentThread, one.Handle.Flavor);
        Assert.False(RuntimeHandle.TryGetCurrent(out _));
        Assert.Throws<InvalidOperationException>(() => RuntimeHandle.Current);
        Assert.True(Rt.Run(one, () => Task.FromResult(RuntimeHandle.Current == one.Handle)));
    }

    [Fact]
    public void SpindleTaskSpawn_OutsideRuntime_SaysWhatWasCalledAndWhereItMustRun()
    {
        var spawn = Assert.Throws<InvalidOperationException>(() => SpindleTask.Spawn(() => Task.CompletedTask));
        Assert.StartsWith("SpindleTask.Spawn must be called from code running on a Spindle runtime", spawn.Message, StringComparison.Ordinal);
        var blocking = Assert.Throws<InvalidOperationException>(() => SpindleTask.SpawnBlocking(() => 1));
        Assert.StartsWith("SpindleTask.SpawnBlocking must be called from code running on a Spindle runtime", blocking.Message, StringComparison.Ordinal);

        // Inside a runtime the same calls land on it: the blocking pool for SpawnBlocking.
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        int result = Rt.Run(runtime, async () => await SpindleTask.SpawnBlocking(() => 41) + await SpindleTask.Spawn(() => Task.FromResult(1)));
        Assert.Equal(42, result);
        Assert.Equal(2, runtime.Handle.Metrics.SpawnedTasksCount - 1);
    }

    [Fact]
    public void IsAbortRequested_SeenInsideAbortedTask()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        Rt.Run(runtime, async () =>
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<bool> handle = SpindleTask.Spawn(async () =>
            {
                entered.SetResult();
                await release.Task;
                return SpindleTask.IsAbortRequested;
            });
            await Rt.Within(entered.Task);
            Assert.False(SpindleTask.IsAbortRequested);
            handle.Abort();
            release.SetResult();
            Assert.True(await handle);
        });
    }

    [Fact]
    public void Sleep_And_Interval_Accessors_ReportSchedule()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Sleep sleep = Time.SleepUntil(start + TimeSpan.FromSeconds(2));
            Assert.Equal(start + TimeSpan.FromSeconds(2), sleep.Deadline);
            Assert.False(sleep.IsElapsed);

            Interval interval = Time.IntervalAt(start + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            Assert.Equal(TimeSpan.FromSeconds(1), interval.Period);
            Assert.Equal(start + TimeSpan.FromSeconds(1), interval.NextTick);
            interval.ResetAt(start + TimeSpan.FromMilliseconds(300));
            Assert.Equal(start + TimeSpan.FromMilliseconds(300), await interval.TickAsync());
            interval.ResetImmediately();
            Assert.Equal(Instant.Now, await interval.TickAsync());
            await sleep;
            Assert.True(sleep.IsElapsed);
            Assert.Equal(Time.Now, start + TimeSpan.FromSeconds(2));
        });
    }

    [Fact]
    public void Instant_NamedOperators_MatchSymbols()
    {
        Instant a = Instant.FromTicks(100);
        Instant b = a.Add(TimeSpan.FromTicks(50));
        Assert.Equal(a + TimeSpan.FromTicks(50), b);
        Assert.Equal(a, b.Subtract(TimeSpan.FromTicks(50)));
        Assert.Equal(TimeSpan.FromTicks(50), b.Subtract(a));
        Assert.True(a.CompareTo(b) < 0 && b > a && a <= b && b >= a && a != b);
        Assert.Equal(a.GetHashCode(), Instant.FromTicks(100).GetHashCode());
        Assert.True(a.Equals((object)Instant.FromTicks(100)));
        Assert.StartsWith("Instant(+", a.ToString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.Zero, (Instant.SystemNow() + TimeSpan.FromDays(1)).Elapsed);
    }

    [Fact]
    public void Exceptions_AndInfoTypes_CarryWhatTheySay()
    {
        var aborted = new TaskAbortedException(7, "worker");
        Assert.Equal(7, aborted.TaskId);
        Assert.Equal("worker", aborted.TaskName);
        Assert.Contains("#7", aborted.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<OperationCanceledException>(aborted);
        Assert.Equal("custom", new TaskAbortedException("custom").Message);
        Assert.Same(aborted, new TaskAbortedException("outer", aborted).InnerException);
        Assert.Equal(0, new TaskAbortedException().TaskId);

        var leaf = new LeafInfo("sleep", "until +5 ms", "/src/Worker.cs", 42, "RunAsync");
        Assert.Equal("sleep until +5 ms at Worker.cs:42", leaf.ToString());
        Assert.Equal("RunAsync", leaf.CallerMemberName);
        Assert.Equal("yield", new LeafInfo("yield", null).ToString());
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RemoteScheduleCount_CountsEverySpawnFromOutside_AndNoSpawnFromInside(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        long before = runtime.Metrics.RemoteScheduleCount;
        JoinHandle[] outside = Enumerable.Range(0, 10).Select(_ => runtime.Handle.Spawn(() => Task.CompletedTask)).ToArray();
        Assert.Equal(before + 10, runtime.Metrics.RemoteScheduleCount);

        // BlockOn's own task is scheduled from outside; the 100 it spawns are not.
        Rt.Run(runtime, async () =>
        {
            JoinHandle[] inside = Enumerable.Range(0, 100).Select(_ => SpindleTask.Spawn(() => Task.CompletedTask)).ToArray();
            foreach (JoinHandle handle in outside.Concat(inside))
            {
                await handle;
            }
        });
        Assert.Equal(before + 11, runtime.Metrics.RemoteScheduleCount);
    }

    [Fact]
    public void Metrics_PerWorkerCounters_AreReadable()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        Rt.Run(runtime, async () =>
        {
            var handles = Enumerable.Range(0, 300).Select(_ => SpindleTask.Spawn(async () => await SpindleTask.YieldAsync())).ToList();
            foreach (JoinHandle h in handles)
            {
                await h;
            }
        });
        RuntimeMetrics m = runtime.Metrics;
        for (int w = 0; w < m.NumWorkers; w++)
        {
            Assert.True(m.GetWorkerStealCount(w) >= 0 && m.GetWorkerStealOperations(w) <= m.GetWorkerStealCount(w));
            Assert.True(m.GetWorkerLocalScheduleCount(w) >= 0 && m.GetWorkerOverflowCount(w) >= 0 && m.GetWorkerForcedYieldCount(w) >= 0);
            Assert.True(m.GetWorkerParkCount(w) >= 0 && m.GetWorkerLocalQueueDepth(w) >= 0);
            Assert.True(m.GetWorkerTotalBusyDuration(w) >= TimeSpan.Zero);
        }

        Assert.True(Enumerable.Range(0, m.NumWorkers).Sum(m.GetWorkerLocalScheduleCount) > 0);
        Assert.False(m.IsPollTimeHistogramEnabled);
        Assert.Equal(0, m.GlobalQueueDepth);
        Assert.True(m.RemoteScheduleCount >= 1);
        Assert.True(m.NumBlockingThreads >= 0 && m.NumIdleBlockingThreads >= 0 && m.BlockingQueueDepth == 0);
        (TimeSpan start, TimeSpan end) = RuntimeMetrics.GetPollTimeHistogramBucketRange(1);
        Assert.Equal(TimeSpan.FromMicroseconds(100), start);
        Assert.Equal(TimeSpan.FromMicroseconds(200), end);
        Assert.Equal(TimeSpan.MaxValue, RuntimeMetrics.GetPollTimeHistogramBucketRange(RuntimeMetrics.PollTimeHistogramNumBuckets - 1).End);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void SignalListener_ReportsItsSignal()
    {
        using SignalListener listener = Spindle.Signals.Listen(PosixSignal.SIGWINCH);
        Assert.Equal(PosixSignal.SIGWINCH, listener.Signal);
    }
}
