using Spindle.Sync;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>Scheduler contract: abort at every kind of await, on both flavours.</summary>
public sealed class AbortTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_WhileSleeping_WakesNow_FinallyRuns_JoinThrowsAborted(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            bool finallyRan = false;
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                try
                {
                    entered.SetResult();
                    await Time.SleepAsync(TimeSpan.FromHours(1));
                }
                finally
                {
                    finallyRan = true;
                }
            });
            await Rt.Within(entered.Task);
            await SpindleTask.YieldAsync();
            handle.Abort();
            TaskAbortedException error = await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle);
            Assert.Equal(handle.Id, error.TaskId);
            Assert.True(finallyRan);
            Assert.True(handle.IsFinished);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_WhileInForeignAwait_CancelsTokenAndNextSpindleAwaitThrows(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var foreign = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            bool tokenCancelled = false;
            bool reachedAfterForeign = false;
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                CancellationToken token = SpindleTask.CancellationToken;
                using CancellationTokenRegistration reg = token.Register(() => tokenCancelled = true);
                entered.SetResult();
                await foreign.Task;
                reachedAfterForeign = true;
                await SpindleTask.YieldAsync();
                Assert.Fail("the yield after abort must throw");
            });
            await Rt.Within(entered.Task);
            handle.Abort();
            Assert.True(tokenCancelled);
            foreign.SetResult();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle);
            Assert.True(reachedAfterForeign);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_ForeignAwaitObservingToken_EndsPromptly(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                entered.SetResult();
                await Task.Delay(Timeout.Infinite, SpindleTask.CancellationToken);
            });
            await Rt.Within(entered.Task);
            handle.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle.AsTask().WaitAsync(Rt.Bound));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_WhileJoining_JoinThrowsAndJoinedTaskKeepsRunning(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> inner = SpindleTask.Spawn(async () =>
            {
                await release.Task;
                return 11;
            });
            var joining = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> outer = SpindleTask.Spawn(async () =>
            {
                joining.SetResult();
                return await inner;
            });
            await Rt.Within(joining.Task);
            await SpindleTask.YieldAsync();
            outer.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await outer);
            Assert.False(inner.IsFinished);
            release.SetResult();
            Assert.Equal(11, await inner);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_AtYield_Throws(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            int iterations = 0;
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                while (true)
                {
                    iterations++;
                    await SpindleTask.YieldAsync();
                }
            });
            while (Volatile.Read(ref iterations) < 10)
            {
                await SpindleTask.YieldAsync();
            }

            handle.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_BeforeFirstPoll_NeverRunsUserCode(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        bool ran = false;
        JoinHandle handle = default;
        if (flavor == RuntimeFlavor.CurrentThread)
        {
            // Nobody drives a current-thread runtime outside BlockOn: the task cannot have started.
            handle = runtime.Spawn(() =>
            {
                ran = true;
                return Task.CompletedTask;
            });
            handle.Abort();
        }
        else
        {
            Rt.Run(runtime, async () =>
            {
                handle = SpindleTask.Spawn(() =>
                {
                    ran = true;
                    return Task.CompletedTask;
                });
                handle.Abort();
                await Task.CompletedTask;
            });
        }

        Rt.Run(runtime, async () => await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle));
        if (flavor == RuntimeFlavor.CurrentThread)
        {
            Assert.False(ran);
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_FinishedTask_KeepsResult(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int value = Rt.Run(runtime, async () =>
        {
            JoinHandle<int> handle = SpindleTask.Spawn(() => Task.FromResult(4));
            int v = await handle;
            handle.Abort();
            return v + await handle;
        });
        Assert.Equal(8, value);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_TaskCatchesAndReturns_ResultIsKept(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        string value = Rt.Run(runtime, async () =>
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<string> handle = SpindleTask.Spawn(async () =>
            {
                try
                {
                    entered.SetResult();
                    await Time.SleepAsync(TimeSpan.FromHours(1));
                    return "slept";
                }
                catch (OperationCanceledException)
                {
                    return "cleaned up";
                }
            });
            await Rt.Within(entered.Task);
            handle.Abort();
            return await handle;
        });
        Assert.Equal("cleaned up", value);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_UsingInsideTask_DisposesResource(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var resource = new Probe();
        Rt.Run(runtime, async () =>
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                using Probe held = resource;
                entered.SetResult();
                await Time.SleepAsync(TimeSpan.FromHours(1));
            });
            await Rt.Within(entered.Task);
            handle.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle);
        });
        Assert.True(resource.Disposed);
    }

    private sealed class Probe : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_AfterTheWaitEndedButBeforeTheTaskResumed_WaitKeepsItsOutcome_NextAwaitThrows(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            // The finished wait stays registered with its task until the task resumes; abort must not end it again.
            var notify = new Notify();
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            bool notified = false;
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                await notify.NotifiedAsync();
                notified = true;
                // A foreign await, so a multi-thread worker that resumed the task before the abort cannot run past it.
                await release.Task;
                await SpindleTask.YieldAsync();
                Assert.Fail("the yield after abort must throw");
            });
            await Waiting.UntilParkedOnAsync(runtime, handle.Id, "notify");
            notify.NotifyOne();
            // Current-thread: the woken task cannot have run yet (this task holds the only thread).
            handle.Abort();
            release.SetResult();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle);
            Assert.True(notified);
            // The notification went to the task: nothing was stored back, nothing lost.
            Assert.False(notify.HasPermit);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TaskResumedFromALeaf_NoLongerListsIt_AndAbortEndsItsNextLeafWait(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var first = new Notify();
            var second = new Notify();
            var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var foreign = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                await first.NotifiedAsync();
                resumed.SetResult();
                await foreign.Task;
                await second.NotifiedAsync();
            });
            await Waiting.UntilParkedOnAsync(runtime, handle.Id, "notify");
            first.NotifyOne();
            await Rt.Within(resumed.Task);
            // Parked on a foreign await now: the listing must not name the finished notify wait.
            await Waiting.UntilAsync(() => runtime.Handle.GetTasks().Any(t => t.Id == handle.Id && t.State == TaskState.Idle));
            TaskInfo info = runtime.Handle.GetTasks().Single(t => t.Id == handle.Id);
            Assert.Null(info.WaitingOn);
            foreign.SetResult();
            await Waiting.UntilAsync(() => second.WaiterCount == 1);
            handle.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle.AsTask().WaitAsync(Rt.Bound));
            Assert.Equal(0, second.WaiterCount);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Abort_BetweenTheSpawnsRegistryAddAndItsQueueing_IsKept(RuntimeFlavor flavor)
    {
        Runtime? self = null;
        using Runtime runtime = Rt.Build(flavor, paused: true, builder => builder.OnTaskSpawn(meta =>
        {
            if (meta.Name == "victim")
            {
                // Stands in for a shutdown or JoinSet.AbortAll on another thread: the task is in the
                // registry, not yet queued by its spawn.
                self!.Core().Registry.Snapshot().Single(t => t.Id == meta.Id).Abort();
            }
        }));
        self = runtime;
        Rt.Run(runtime, async () =>
        {
            bool bodyRan = false;
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                bodyRan = true;
                await Time.SleepAsync(TimeSpan.FromHours(1));
            }, name: "victim");
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await Rt.Within(handle.AsTask()));
            Assert.False(bodyRan);
        });
    }
}
