using System.Collections.Concurrent;
using System.Diagnostics;
using Spindle.Scheduling.MultiThread;
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
        // One worker, two tasks that yield forever (so the worker's queue is never empty), and tasks
        // spawned from outside the runtime. The worker looks at the inject queue right after a
        // yield, not only every GlobalQueueInterval (61) ticks, so a remote task queued during a
        // busy poll runs before any busy task's next poll. A busy task has the remote spawn made (by
        // another thread, so it goes through the inject queue) and waits for it inside its poll, so
        // no timing is involved.
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread, configure: b => b.WorkerThreads(1));
        int polls = 0;
        bool stop = false;
        int requested = 0;
        var pushed = new BlockingCollection<(int AtPoll, JoinHandle<int> Remote)>();
        JoinHandle busy = runtime.Spawn(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                int poll = Interlocked.Increment(ref polls);
                if (Interlocked.Exchange(ref requested, 0) == 1)
                {
                    JoinHandle<int> remote = default;
                    var spawner = new Thread(() => remote = runtime.Spawn(() => Task.FromResult(Volatile.Read(ref polls))));
                    spawner.Start();
                    Assert.True(spawner.Join(Rt.Bound), "the spawning thread did not finish");
                    pushed.Add((poll, remote));
                }

                await SpindleTask.YieldAsync();
            }
        });
        var otherStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        JoinHandle other = runtime.Spawn(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                Interlocked.Increment(ref polls);
                otherStarted.TrySetResult();
                await SpindleTask.YieldAsync();
            }
        });
        // Until both run, the second may still sit in the inject queue ahead of a remote spawn.
        Assert.True(otherStarted.Task.Wait(Rt.Bound), "the second busy task never started");
        var waits = new List<int>();
        for (int round = 0; round < 20; round++)
        {
            Volatile.Write(ref requested, 1);
            Assert.True(pushed.TryTake(out var push, Rt.Bound), "the busy task did not spawn");
            Assert.True(push.Remote.AsTask().Wait(Rt.Bound), "the remote task did not finish");
            waits.Add(push.Remote.AsTask().Result - push.AtPoll);
        }

        // Without the look after a yield, the wait would be spread over the whole interval (0 to 61).
        Assert.All(waits, w => Assert.Equal(0, w));
        Volatile.Write(ref stop, true);
        Assert.True(busy.AsTask().Wait(Rt.Bound), "the busy task did not stop");
        Assert.True(other.AsTask().Wait(Rt.Bound), "the other busy task did not stop");
    }

    [Fact]
    public void MultiThread_TaskYieldingAloneOnItsWorker_LetsThatWorkerStealFromAnother()
    {
        // Worker Y is held by a task that blocks its thread; the yielding task, spawned meanwhile,
        // can only run on worker X, alone. Then the blocking task spawns children into Y's local
        // queue and blocks on until one of them ran. A yield that went straight back to X's queue
        // would be polled again at once, forever, and the children would wait for Y. A yield set
        // aside behind a look for other work lets X steal them.
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        int yielderWorker = -1;
        bool stop = false;
        using var release = new ManualResetEventSlim();
        using var yielderRunning = new ManualResetEventSlim();
        var blockerStarted = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var childRan = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        JoinHandle blocker = runtime.Spawn(() =>
        {
            blockerStarted.TrySetResult(Spindle.Scheduling.MultiThread.Worker.Current!.Index);
            if (!yielderRunning.Wait(Rt.Bound))
            {
                throw new TimeoutException("the yielding task never started");
            }

            // Three spawns: the last sits in the LIFO slot (never stolen), the others in the queue.
            for (int i = 0; i < 3; i++)
            {
                _ = SpindleTask.Spawn(() =>
                {
                    childRan.TrySetResult(Spindle.Scheduling.MultiThread.Worker.Current!.Index);
                    return Task.CompletedTask;
                });
            }

            // Blocks this worker's thread (bounded) until a child ran elsewhere.
            release.Wait(Rt.Bound);
            return Task.CompletedTask;
        });
        Assert.True(blockerStarted.Task.Wait(Rt.Bound), "the blocking task never ran");
        int blockedWorker = blockerStarted.Task.Result;

        JoinHandle yielder = runtime.Spawn(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                Volatile.Write(ref yielderWorker, Spindle.Scheduling.MultiThread.Worker.Current!.Index);
                yielderRunning.Set();
                await SpindleTask.YieldAsync();
            }
        });

        bool ran = childRan.Task.Wait(TimeSpan.FromSeconds(10));
        release.Set();
        Assert.True(ran, "no child ran while its worker was blocked: the yielding worker never stole");
        Assert.NotEqual(blockedWorker, Volatile.Read(ref yielderWorker));
        Assert.NotEqual(blockedWorker, childRan.Task.Result);
        Assert.True(blocker.AsTask().Wait(Rt.Bound), "the blocking task did not finish");
        Volatile.Write(ref stop, true);
        Assert.True(yielder.AsTask().Wait(Rt.Bound), "the yielding task did not stop");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MultiThread_TaskYieldingWhileOtherTasksPingPong_StillRuns(int workers)
    {
        // Two tasks wake each other forever, so a worker always finds a task to run next. A task that
        // yields with nothing else queued is set aside until its worker finds no other work; the
        // maintenance tick must still bring it back, or it would wait for as long as the ping-pong goes.
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread, configure: b => b.WorkerThreads(workers));
        bool stop = false;
        var ping = new Notify();
        var pong = new Notify();
        JoinHandle pinger = runtime.Spawn(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                pong.NotifyOne();
                await ping.NotifiedAsync();
            }

            pong.NotifyOne();
        });
        JoinHandle ponger = runtime.Spawn(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                ping.NotifyOne();
                await pong.NotifiedAsync();
            }

            ping.NotifyOne();
        });
        for (int round = 0; round < 5; round++)
        {
            JoinHandle yielder = runtime.Spawn(async () =>
            {
                for (int i = 0; i < 1_000; i++)
                {
                    await SpindleTask.YieldAsync();
                }
            });
            Assert.True(yielder.AsTask().Wait(Rt.Bound), $"round {round}: the yielding task starved behind the ping-pong");
        }

        Volatile.Write(ref stop, true);
        Assert.True(pinger.AsTask().Wait(Rt.Bound) && ponger.AsTask().Wait(Rt.Bound), "the ping-pong did not stop");
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

    /// <summary>
    /// Hooks are user code run in the middle of a spawn, a poll and a completion: what they throw is
    /// reported, and the task still runs, completes with its own value and wakes its joiner (a
    /// terminate hook that threw used to abort the completion, leave the joiner waiting and let the
    /// task's own catch complete it a second time as faulted).
    /// </summary>
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Hooks_ThatThrow_AreReportedAndTasksStillCompleteWithTheirValue(RuntimeFlavor flavor)
    {
        var reported = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using Runtime runtime = Rt.Build(flavor, configure: b => b
            .OnTaskSpawn(static _ => throw new InvalidOperationException("spawn hook"))
            .OnBeforeTaskPoll(static _ => throw new InvalidOperationException("before hook"))
            .OnAfterTaskPoll(static _ => throw new InvalidOperationException("after hook"))
            .OnTaskTerminate(static _ => throw new InvalidOperationException("terminate hook"))
            .OnUnobservedTaskException(info => reported.Enqueue(info.Exception.Message)));
        int sum = Rt.Run(runtime, async () =>
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> waited = SpindleTask.Spawn(async () =>
            {
                await gate.Task;
                return 5;
            });
            JoinHandle<int> quick = SpindleTask.Spawn(static () => Task.FromResult(7));
            // The join of `waited` is in place before it completes, so its completion has a joiner to wake.
            ValueTask<int> join = waited.AsValueTask();
            gate.SetResult();
            return await join + await quick;
        });
        Assert.Equal(12, sum);
        Assert.True(SpinWait.SpinUntil(() => reported.Contains("terminate hook") && reported.Count >= 4, Rt.Bound), string.Join(", ", reported));
        Assert.Contains("spawn hook", reported);
        Assert.Contains("before hook", reported);
        Assert.Contains("after hook", reported);
        Assert.Equal(12, Rt.Run(runtime, static () => Task.FromResult(12)));
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
        // Waits longer than int.MaxValue ms would throw later on a runtime thread (crashing the
        // process) or half-way through a shutdown: refused up front, with the limit in the message.
        var keepAlive = Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateMultiThread().BlockingKeepAlive(TimeSpan.MaxValue));
        Assert.Equal("keepAlive", keepAlive.ParamName);
        Assert.Contains("24.8 days", keepAlive.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateMultiThread().ShutdownTimeout(TimeSpan.FromDays(30)));
        using Runtime runtime = RuntimeBuilder.CreateCurrentThread().Build();
        Assert.Throws<ArgumentOutOfRangeException>(() => runtime.Shutdown(TimeSpan.MaxValue));
        Assert.Equal(0, Rt.Run(runtime, () => Task.FromResult(0)));
        // The longest accepted values work.
        RuntimeBuilder.CreateMultiThread().BlockingKeepAlive(TimeSpan.FromMilliseconds(int.MaxValue)).ShutdownTimeout(TimeSpan.FromMilliseconds(int.MaxValue));
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

    [Fact]
    public void MultiThread_BlockOnCaller_SpinsAboutAsLongAsTheLastShortBlockOn()
    {
        long spin = 50;
        // No history yet, or a long BlockOn before: the configured spin.
        Assert.Equal(spin, MultiThreadScheduler.BlockOnSpinTicks(spin, 0));
        long longOne = (long)(Stopwatch.Frequency * 0.002);
        Assert.Equal(spin, MultiThreadScheduler.BlockOnSpinTicks(spin, longOne));
        // A short one (under 1 ms): 1.5 times as long, never less than the configured spin.
        long shortOne = (long)(Stopwatch.Frequency * 0.0001);
        Assert.Equal(shortOne + (shortOne / 2), MultiThreadScheduler.BlockOnSpinTicks(spin, shortOne));
        Assert.Equal(spin, MultiThreadScheduler.BlockOnSpinTicks(spin, 10));
        // Spinning turned off stays off.
        Assert.Equal(0, MultiThreadScheduler.BlockOnSpinTicks(0, shortOne));
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
