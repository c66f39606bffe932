using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>Coop budget, the task registry, hooks and metrics.</summary>
public sealed class CoopAndDiagnosticsTests
{
    [Fact]
    public void CoopBudget_TaskLoopingOnReadyLeaves_DoesNotStarveOthers()
    {
        // Current-thread: without a budget the looping task would never give the other one a turn.
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        (int iterationsWhenOtherRan, long forced) = Rt.Run(runtime, async () =>
        {
            int iterations = 0;
            int seenByOther = -1;
            JoinHandle<int> done = SpindleTask.Spawn(() => Task.FromResult(1));
            await done;
            // Spawned now, it can only run when the loop below gives way.
            JoinHandle other = SpindleTask.Spawn(() =>
            {
                seenByOther = Volatile.Read(ref iterations);
                return Task.CompletedTask;
            });
            for (; iterations < 100_000 && seenByOther < 0; iterations++)
            {
                // A ready leaf: joining a finished task completes synchronously, consuming budget.
                await done;
            }

            await other;
            return (seenByOther, runtime.Metrics.BudgetForcedYieldCount);
        });
        Assert.InRange(iterationsWhenOtherRan, 0, 2 * 128);
        Assert.True(forced > 0, "the forced yield must be counted");
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void CoopBudget_TaskAloneOnItsThread_GoesOnWithoutForcedYields(RuntimeFlavor flavor)
    {
        // Nothing else is queued, so a yield would only poll the same task again: the spent budget
        // starts over instead (and counts towards the next driver maintenance).
        using Runtime runtime = Rt.Build(flavor);
        long forced = Rt.Run(runtime, async () =>
        {
            JoinHandle<int> done = SpindleTask.Spawn(() => Task.FromResult(1));
            await done;
            long before = runtime.Metrics.BudgetForcedYieldCount;
            for (int i = 0; i < 10 * Spindle.Internal.Coop.Budget; i++)
            {
                await done;
            }

            return runtime.Metrics.BudgetForcedYieldCount - before;
        });
        Assert.Equal(0, forced);
    }

    [Fact]
    public void CoopBudget_TaskAloneLoopingOnReadyLeaves_StillLetsTheDriverFireTimers()
    {
        // The loop is the only runnable task and never waits; the sleeper's timer fires only when the
        // driver is polled, which a renewed budget must not put off for ever (real clock: a paused one
        // would only move when idle).
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: false);
        (int iterations, long forced) = Rt.Run(runtime, async () =>
        {
            bool woke = false;
            JoinHandle sleeper = SpindleTask.Spawn(async () =>
            {
                await Time.SleepAsync(TimeSpan.FromMilliseconds(1));
                Volatile.Write(ref woke, true);
            });
            JoinHandle<int> done = SpindleTask.Spawn(() => Task.FromResult(1));
            await done;
            int i = 0;
            for (; i < 20_000_000 && !Volatile.Read(ref woke); i++)
            {
                await done;
            }

            await sleeper;
            return (i, runtime.Metrics.BudgetForcedYieldCount);
        });
        Assert.True(iterations < 20_000_000, "the sleeper's timer never fired while the loop ran");
        Assert.True(forced > 0, "the loop must yield for driver maintenance");
    }

    [Fact]
    public void MultiThread_TaskYieldingInALoop_LetsRemoteSpawnRunAtItsNextYield()
    {
        // One worker, a task that yields forever, and a task spawned from outside the runtime. The
        // worker looks at the inject queue right after a yield, not only every GlobalQueueInterval
        // (61) ticks, so the remote task runs within a yield or two of being queued.
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread, configure: b => b.WorkerThreads(1));
        int yields = 0;
        bool stop = false;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        JoinHandle busy = runtime.Spawn(async () =>
        {
            started.TrySetResult();
            while (!Volatile.Read(ref stop))
            {
                Interlocked.Increment(ref yields);
                await SpindleTask.YieldAsync();
            }
        });
        Assert.True(started.Task.Wait(Rt.Bound), "the busy task never started");
        // The wait is counted from a read before the push, so it can only be overstated (by this
        // thread being descheduled between the read and the push); most rounds must still be prompt.
        // Without the check after a yield, the wait is spread over the whole interval (0 to 61).
        var waits = new List<int>();
        for (int round = 0; round < 20; round++)
        {
            int seenByRemote = -1;
            int beforePush = Volatile.Read(ref yields);
            JoinHandle remote = runtime.Spawn(() =>
            {
                seenByRemote = Volatile.Read(ref yields);
                return Task.CompletedTask;
            });
            Assert.True(remote.AsTask().Wait(Rt.Bound), "the remote task did not finish");
            waits.Add(seenByRemote - beforePush);
        }

        Assert.True(waits.Count(w => w <= 2) >= 15, $"yields between a remote spawn and its run: {string.Join(", ", waits)}");
        Volatile.Write(ref stop, true);
        Assert.True(busy.AsTask().Wait(Rt.Bound), "the busy task did not stop");
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetTasks_ShowsIdleTaskWithLeafDescription(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: false);
        TaskInfo info = Rt.Run(runtime, async () =>
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle sleeper = SpindleTask.Spawn(async () =>
            {
                entered.SetResult();
                await Time.SleepAsync(TimeSpan.FromHours(1));
            }, name: "sleeper");
            await Rt.Within(entered.Task);
            TaskInfo? found = null;
            while (found is null)
            {
                await SpindleTask.YieldAsync();
                found = runtime.Handle.GetTasks().FirstOrDefault(t => t.Id == sleeper.Id && t.State == TaskState.Idle && t.WaitingOn is not null);
            }

            sleeper.Abort();
            return found;
        });
        Assert.Equal("sleeper", info.Name);
        Assert.Equal("sleep", info.WaitingOn!.Kind);
        Assert.StartsWith("until +", info.WaitingOn.Resource, StringComparison.Ordinal);
        Assert.EndsWith("CoopAndDiagnosticsTests.cs", info.WaitingOn.CallerFilePath, StringComparison.Ordinal);
        Assert.True(info.PollCount >= 1);
        Assert.NotNull(info.SinceLastPoll);
        Assert.Contains("sleeper", info.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Hooks_SeeSpawnPollAndTerminate(RuntimeFlavor flavor)
    {
        int spawned = 0, before = 0, after = 0, terminated = 0, started = 0;
        using Runtime runtime = Rt.Build(flavor, configure: b => b
            .OnTaskSpawn(_ => Interlocked.Increment(ref spawned))
            .OnBeforeTaskPoll(_ => Interlocked.Increment(ref before))
            .OnAfterTaskPoll(_ => Interlocked.Increment(ref after))
            .OnTaskTerminate(_ => Interlocked.Increment(ref terminated))
            .OnThreadStart(() => Interlocked.Increment(ref started)));
        Rt.Run(runtime, async () =>
        {
            for (int i = 0; i < 5; i++)
            {
                await SpindleTask.Spawn(async () => await SpindleTask.YieldAsync());
            }
        });
        Assert.Equal(6, Volatile.Read(ref spawned));
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref terminated) == 6, Rt.Bound));
        Assert.True(Volatile.Read(ref before) >= 11, $"before-poll {before}");
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref after) == Volatile.Read(ref before), Rt.Bound));
        Assert.True(Volatile.Read(ref started) >= 1);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Metrics_CountWorkersTasksAndPolls(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, configure: b => b.EnablePollTimeHistogram());
        Rt.Run(runtime, async () =>
        {
            var handles = new List<JoinHandle>();
            for (int i = 0; i < 50; i++)
            {
                handles.Add(SpindleTask.Spawn(async () => await SpindleTask.YieldAsync()));
            }

            foreach (JoinHandle h in handles)
            {
                await h;
            }
        });
        RuntimeMetrics metrics = runtime.Metrics;
        Assert.Equal(flavor == RuntimeFlavor.CurrentThread ? 1 : 2, metrics.NumWorkers);
        Assert.Equal(51, metrics.SpawnedTasksCount);
        // BlockOn returns as soon as the root completes, inside its poll; the worker counts that
        // poll before it and records its duration after it, so let the last poll finish first.
        Assert.True(SpinWait.SpinUntil(() => runtime.Metrics.NumAliveTasks == 0, Rt.Bound));
        long Polls() => Enumerable.Range(0, metrics.NumWorkers).Sum(metrics.GetWorkerPollCount);
        long Histogram() => Enumerable.Range(0, metrics.NumWorkers)
            .Sum(w => Enumerable.Range(0, RuntimeMetrics.PollTimeHistogramNumBuckets).Sum(b => metrics.GetPollTimeHistogramBucketCount(w, b)));
        Assert.True(SpinWait.SpinUntil(() => Histogram() == Polls(), Rt.Bound), $"histogram {Histogram()} vs polls {Polls()}");
        Assert.True(Polls() >= 101, $"polls {Polls()}");
        Assert.Throws<ArgumentOutOfRangeException>(() => metrics.GetWorkerPollCount(metrics.NumWorkers));
    }

    [Fact]
    public void Builder_BadArguments_ThrowClearly()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateMultiThread().WorkerThreads(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateMultiThread().EventInterval(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateMultiThread().ThreadStackSize(1000));
        Assert.Throws<ArgumentException>(() => RuntimeBuilder.CreateMultiThread().ThreadNamePrefix(" "));
        Assert.Throws<ArgumentNullException>(() => RuntimeBuilder.CreateMultiThread().OnTaskSpawn(null!));
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateMultiThread().SpinBeforePark(TimeSpan.FromTicks(-1)));
        Assert.Equal("duration", negative.ParamName);
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateMultiThread().SpinBeforePark(TimeSpan.FromMilliseconds(101)));
        Assert.Equal("duration", tooLong.ParamName);
    }

    [Fact]
    public void MultiThread_WorkerSpinningBeforePark_TakesARemoteSpawnWithoutSleeping()
    {
        // A long spin: a spawn made right after the worker went idle lands while it still spins. A
        // loaded machine may deschedule this thread past the spin, so a round may miss; one of
        // many rounds must hit.
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread, configure: b => b.WorkerThreads(1).SpinBeforePark(TimeSpan.FromMilliseconds(100)));
        RuntimeMetrics metrics = runtime.Metrics;
        for (int round = 0; round < 50 && metrics.GetWorkerSpinWakeCount(0) == 0; round++)
        {
            RunRemoteSpawnRightAfterPark(runtime);
        }

        Assert.True(metrics.GetWorkerSpinWakeCount(0) > 0, "no remote spawn in 50 rounds ended a park during the worker's spin");
    }

    [Fact]
    public void CurrentThread_DriverSpinningBeforePark_TakesAForeignWakeWithoutSleeping()
    {
        // The thread driving BlockOn goes idle awaiting a gate; a foreign thread opens the gate as soon
        // as it sees the park counted, while the driver still spins (retried as above).
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, configure: b => b.SpinBeforePark(TimeSpan.FromMilliseconds(100)));
        RuntimeMetrics metrics = runtime.Metrics;
        int rounds = Rt.Run(runtime, async () =>
        {
            int round = 0;
            for (; round < 50 && metrics.GetWorkerSpinWakeCount(0) == 0; round++)
            {
                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                long parks = metrics.GetWorkerParkCount(0);
                var waker = new Thread(() =>
                {
                    _ = SpinWait.SpinUntil(() => metrics.GetWorkerParkCount(0) > parks, Rt.Bound);
                    gate.TrySetResult();
                });
                waker.Start();
                await Rt.Within(gate.Task);
                Assert.True(waker.Join(Rt.Bound), "the waker thread did not finish");
            }

            return round;
        });
        Assert.True(metrics.GetWorkerSpinWakeCount(0) > 0, $"no foreign wake in {rounds} rounds ended a park during the driver's spin");
    }

    [Fact]
    public void MultiThread_SpinBeforeParkZero_SleepsAtOnceAndStillWakesForWork()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread, configure: b => b.WorkerThreads(1).SpinBeforePark(TimeSpan.Zero));
        for (int round = 0; round < 5; round++)
        {
            RunRemoteSpawnRightAfterPark(runtime);
        }

        Assert.Equal(0, runtime.Metrics.GetWorkerSpinWakeCount(0));
        Assert.Equal(7, Rt.Run(runtime, () => Task.FromResult(7)));
    }

    private static void RunRemoteSpawnRightAfterPark(Runtime runtime)
    {
        // The worker may be parked already (counted); a first task makes it run and then park anew.
        long parks = runtime.Metrics.GetWorkerParkCount(0);
        JoinHandle<int> first = runtime.Spawn(() => Task.FromResult(1));
        Assert.True(first.AsTask().Wait(Rt.Bound), "the first remote task did not run");
        Assert.True(SpinWait.SpinUntil(() => runtime.Metrics.GetWorkerParkCount(0) > parks, Rt.Bound), "the worker never went idle");
        JoinHandle<int> second = runtime.Spawn(() => Task.FromResult(2));
        Assert.True(second.AsTask().Wait(Rt.Bound), "the second remote task did not run");
    }

    [Fact]
    public void MultiThread_ThreadNames_UsePrefix()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread, configure: b => b.ThreadNamePrefix("probe"));
        string? name = Rt.Run(runtime, () => Task.FromResult(Thread.CurrentThread.Name));
        Assert.StartsWith("probe-", name, StringComparison.Ordinal);
    }
}
