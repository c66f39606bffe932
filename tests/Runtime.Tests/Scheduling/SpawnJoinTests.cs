using System.Runtime.CompilerServices;
using Spindle.Scheduling;
using Spindle.Scheduling.Blocking;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>Scheduler contract: spawn, join, results and exceptions, on both flavours.</summary>
public sealed class SpawnJoinTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockOn_SpawnAndJoin_ReturnsValue(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int result = Rt.Run(runtime, async () =>
        {
            JoinHandle<int> handle = SpindleTask.Spawn(async () =>
            {
                await SpindleTask.YieldAsync();
                return 21;
            });
            return await handle * 2;
        });
        Assert.Equal(42, result);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Spawn_Nested_AllResultsArrive(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int total = Rt.Run(runtime, async () =>
        {
            var outer = new List<JoinHandle<int>>();
            for (int i = 0; i < 20; i++)
            {
                int n = i;
                outer.Add(SpindleTask.Spawn(async () =>
                {
                    JoinHandle<int> inner = SpindleTask.Spawn(async () =>
                    {
                        await SpindleTask.YieldAsync();
                        return n;
                    });
                    return await inner + 1;
                }));
            }

            int sum = 0;
            foreach (JoinHandle<int> h in outer)
            {
                sum += await h;
            }

            return sum;
        });
        Assert.Equal(Enumerable.Range(1, 20).Sum(), total);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Join_TaskThrows_ExceptionSurfacesWithOriginalType(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, configure: b => b.OnUnobservedTaskException(_ => { }));
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Rt.Run(runtime, async () =>
        {
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                await SpindleTask.YieldAsync();
                throw new InvalidOperationException("boom");
            });
            await handle;
        }));
        Assert.Equal("boom", error.Message);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Task_Throws_WorkerSurvivesAndRunsLaterTasks(RuntimeFlavor flavor)
    {
        var unobserved = new List<Exception>();
        using Runtime runtime = Rt.Build(flavor, configure: b => b.OnUnobservedTaskException(info => { lock (unobserved) { unobserved.Add(info.Exception); } }));
        int result = Rt.Run(runtime, async () =>
        {
            for (int i = 0; i < 10; i++)
            {
                _ = SpindleTask.Spawn(async () =>
                {
                    await SpindleTask.YieldAsync();
                    throw new FormatException("detached failure");
                });
            }

            int ok = 0;
            for (int i = 0; i < 10; i++)
            {
                ok += await SpindleTask.Spawn(async () =>
                {
                    await SpindleTask.YieldAsync();
                    return 1;
                });
            }

            return ok;
        });
        Assert.Equal(10, result);
        SpinWait.SpinUntil(() => { lock (unobserved) { return unobserved.Count == 10; } }, Rt.Bound);
        lock (unobserved)
        {
            Assert.Equal(10, unobserved.Count);
            Assert.All(unobserved, e => Assert.IsType<FormatException>(e));
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockOn_ThrowingRoot_RethrowsAndIsNotReportedUnobserved(RuntimeFlavor flavor)
    {
        int reported = 0;
        using Runtime runtime = Rt.Build(flavor, configure: b => b.OnUnobservedTaskException(_ => Interlocked.Increment(ref reported)));
        Assert.Throws<ArgumentException>(() => runtime.BlockOn(async () =>
        {
            await SpindleTask.YieldAsync();
            throw new ArgumentException("root");
        }));
        Assert.Equal(0, Volatile.Read(ref reported));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockOn_FromInsideTask_ThrowsReentrancyError(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        InvalidOperationException error = Rt.Run(runtime, () =>
            Task.FromResult(Assert.Throws<InvalidOperationException>(() => runtime.BlockOn(() => Task.FromResult(1)))));
        Assert.Contains("BlockOn cannot be called", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Spawn_FromOutsideRuntime_RunsAndJoins(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        JoinHandle<string> handle = runtime.Spawn(async () =>
        {
            await SpindleTask.YieldAsync();
            return SpindleTask.CurrentName ?? "?";
        }, name: "outsider");
        // The current-thread flavour runs it once somebody drives the runtime.
        string name = Rt.Run(runtime, async () => await handle);
        Assert.Equal("outsider", name);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Spawn_CapturesCallerLocationAndName(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskInfo info = Rt.Run(runtime, async () =>
        {
            JoinHandle handle = SpindleTask.Spawn(() => gate.Task, name: "waiter"); int line = LineOf();
            await SpindleTask.YieldAsync();
            TaskInfo found = runtime.Handle.GetTasks().Single(t => t.Id == handle.Id);
            gate.SetResult();
            await handle;
            Assert.Equal(line, found.SpawnLineNumber);
            return found;
        });
        Assert.Equal("waiter", info.Name);
        Assert.EndsWith("SpawnJoinTests.cs", info.SpawnFilePath, StringComparison.Ordinal);
        Assert.Equal(nameof(Spawn_CapturesCallerLocationAndName), info.SpawnMemberName);
    }

    /// <summary>
    /// A joiner that stores its continuation after the task completed (it saw the task running just
    /// before, and the completion found no continuation to claim) runs it itself, at once. The join's
    /// own checks keep this window small, so the test stores through the source directly.
    /// </summary>
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Join_StoredAfterCompletionFoundNoJoiner_RunsAtOnce(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        JoinHandle<int> handle = runtime.Spawn(static () => Task.FromResult(7));
        if (flavor == RuntimeFlavor.CurrentThread)
        {
            Rt.Run(runtime, static () => Task.CompletedTask);
        }

        Assert.True(SpinWait.SpinUntil(() => handle.IsFinished, Rt.Bound), "the task never ran");
        TaskCell<int> source = handle.Cell;
        var resumed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.OnCompleted(_ => resumed.SetResult(source.GetResult(0)), null, 0, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags.None);
        Assert.True(resumed.Task.Wait(Rt.Bound), "a continuation stored after the completion never ran");
        Assert.Equal(7, resumed.Task.Result);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Join_ClaimedBeforeTheJoinerRegisteredItsWait_LeavesNoWaitBehind(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var root = new InlineSource();
        (int Value, LeafInfo? After) seen = Rt.Run(runtime, async () =>
        {
            JoinHandle<int> handle = SpindleTask.Spawn(() => new ValueTask<int>(root, 0));
            await Waiting.UntilAsync(() => root.HasContinuation);
            TaskCore joiner = TaskCore.Current!;
            // The target's root completes, and the target with it, right after the joiner stored its
            // continuation and before it registered its wait: the completion claims the join first.
            TaskCore.AfterJoinStoredForTests = task =>
            {
                if (ReferenceEquals(task, joiner))
                {
                    TaskCore.AfterJoinStoredForTests = null;
                    root.SetResult(7);
                }
            };
            try
            {
                int value = await handle;
                return (value, joiner.DescribeWait());
            }
            finally
            {
                TaskCore.AfterJoinStoredForTests = null;
            }
        });

        Assert.Equal(7, seen.Value);
        Assert.True(root.Completed, "the seam never ran: the join did not wait");
        Assert.True(seen.After is null, $"after the join returned, the joiner was still listed as waiting on {seen.After?.Kind} {seen.After?.Resource}");
    }

    /// <summary>A root whose completion runs its continuation inline, on the completing thread, whatever context it was registered in.</summary>
    private sealed class InlineSource : System.Threading.Tasks.Sources.IValueTaskSource<int>
    {
        private System.Threading.Tasks.Sources.ManualResetValueTaskSourceCore<int> _core;
        private volatile bool _hasContinuation;

        public bool HasContinuation => _hasContinuation;

        public bool Completed { get; private set; }

        public void SetResult(int value)
        {
            Completed = true;
            _core.SetResult(value);
        }

        public int GetResult(short token) => _core.GetResult(token);

        public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags flags)
        {
            _core.OnCompleted(continuation, state, token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags.None);
            _hasContinuation = true;
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Join_ThroughAsValueTask_IsDescribedAtItsLine(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Rt.Run(runtime, async () =>
        {
            JoinHandle joined = SpindleTask.Spawn(() => gate.Task);
            int line = 0;
            JoinHandle joiner = SpindleTask.Spawn(async () =>
            {
                line = LineOf(); await joined.AsValueTask();
            });
            LeafInfo wait = (await Waiting.UntilParkedOnAsync(runtime, joiner.Id, "join")).WaitingOn!;
            gate.SetResult();
            await joiner;

            Assert.Equal(line, wait.CallerLineNumber);
            Assert.EndsWith("SpawnJoinTests.cs", wait.CallerFilePath, StringComparison.Ordinal);
        });
    }

    private static int LineOf([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Join_OfFinishedTasks_GivesEachOutcomeEveryTime(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, configure: b => b.OnUnobservedTaskException(_ => { }));
        Rt.Run(runtime, async () =>
        {
            var never = new Spindle.Sync.Notify();
            JoinHandle<int> value = SpindleTask.Spawn(() => Task.FromResult(7));
            JoinHandle done = SpindleTask.Spawn(() => Task.CompletedTask);
            JoinHandle<int> faulted = SpindleTask.Spawn<int>(() => throw new InvalidOperationException("boom"));
            JoinHandle failed = SpindleTask.Spawn(() => Task.FromException(new FormatException("bad")));
            JoinHandle<int> aborted = SpindleTask.Spawn(async () =>
            {
                await never.NotifiedAsync();
                return 1;
            });
            await SpindleTask.YieldAsync();
            aborted.Abort();
            await Waiting.UntilAsync(() => value.IsFinished && done.IsFinished && faulted.IsFinished && failed.IsFinished && aborted.IsFinished);

            // Every handle is finished before it is awaited, and awaited twice: a finished join
            // returns the value or throws the failure each time.
            for (int round = 0; round < 2; round++)
            {
                Assert.Equal(7, await value);
                Assert.Equal(7, await value.AsValueTask());
                await done;
                Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await faulted)).Message);
                Assert.Equal("bad", (await Assert.ThrowsAsync<FormatException>(async () => await failed)).Message);
                TaskAbortedException abort = await Assert.ThrowsAsync<TaskAbortedException>(async () => await aborted);
                Assert.Contains($"#{aborted.Id}", abort.Message, StringComparison.Ordinal);
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await (JoinHandle)aborted);
            }
        });
    }

    [Fact]
    public void Join_OfFinishedTask_AllocatesNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long perJoin = Allocation.BytesPerStep(runtime, async steps =>
        {
            JoinHandle<int> value = SpindleTask.Spawn(() => Task.FromResult(3));
            JoinHandle done = SpindleTask.Spawn(() => Task.CompletedTask);
            await value;
            await done;
            int sum = 0;
            for (int i = 0; i < steps; i++)
            {
                sum += await value;
                await done;
            }

            Assert.Equal(3 * steps, sum);
        });
        Assert.Equal(0, perJoin);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Continuations_ThatArriveAfterTheRootCompleted_StillRun(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = new TaskCompletionSource();
        var inPollDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Rt.Run(runtime, async () =>
        {
            // The root finishes in its first poll, with work of its own still waiting: one piece woken
            // inside that same poll (queued to the task before the root returns), one woken after the
            // task is complete (run on the thread pool).
            JoinHandle handle = SpindleTask.Spawn(() =>
            {
                _ = FinishAfter(woken.Task, inPollDone);
                _ = FinishAfter(late.Task, lateDone);
                woken.SetResult();
                return Task.CompletedTask;
            });
            await handle;
            Assert.True(handle.IsFinished);
            late.SetResult();
            await inPollDone.Task.WaitAsync(Rt.Bound);
            await lateDone.Task.WaitAsync(Rt.Bound);
        });

        static async Task FinishAfter(Task gate, TaskCompletionSource done)
        {
            try
            {
                await gate;
            }
            finally
            {
                done.SetResult();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Continuations_QueuedWhileTheTaskRuns_RunInTheOrderTheyArrived(RuntimeFlavor flavor)
    {
        List<int> order = OrderOfTwoRounds(flavor, (order, round) =>
        {
            TaskCompletionSource[] gates = [new(), new(), new(), new()];
            Task[] chains = gates.Select((gate, i) => AddAfter(gate.Task, order, (10 * round) + i)).ToArray();
            // Opened from another thread while this poll still runs: each continuation is posted
            // to the task and waits in its queue, in the order the gates open.
            using var opened = new ManualResetEventSlim();
            _ = Task.Run(() =>
            {
                foreach (int i in new[] { 2, 0, 3, 1 })
                {
                    gates[i].SetResult();
                }

                opened.Set();
            });
            Assert.True(opened.Wait(Rt.Bound), "the gates were not opened");
            return chains;
        });

        Assert.Equal([2, 0, 3, 1, 12, 10, 13, 11], order);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Yields_OfSeveralChainsInOnePoll_ResumeInTheOrderTheyYielded(RuntimeFlavor flavor)
    {
        List<int> order = OrderOfTwoRounds(flavor, (order, round) =>
            Enumerable.Range(0, 4).Select(i => AddAfterYield(order, (10 * round) + i)).ToArray());

        Assert.Equal([0, 1, 2, 3, 10, 11, 12, 13], order);
    }

    /// <summary>
    /// Runs two rounds inside one task (the second refills the queue the first one spilled into and
    /// drained); each round starts chains that add to the order, inside the task's poll, and the task
    /// then awaits them. Returns the order they added in.
    /// </summary>
    private static List<int> OrderOfTwoRounds(RuntimeFlavor flavor, Func<List<int>, int, Task[]> startRound)
    {
        using Runtime runtime = Rt.Build(flavor);
        return Rt.Run(runtime, async () => await SpindleTask.Spawn(async () =>
        {
            var order = new List<int>();
            for (int round = 0; round < 2; round++)
            {
                await Task.WhenAll(startRound(order, round));
            }

            return order;
        }));
    }

    private static async Task AddAfter(Task gate, List<int> order, int value)
    {
        await gate;
        order.Add(value);
    }

    private static async Task AddAfterYield(List<int> order, int value)
    {
        await SpindleTask.YieldAsync();
        order.Add(value);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void CurrentId_InsideTask_MatchesHandle_AndNullOutside(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Assert.Null(SpindleTask.CurrentId);
        Rt.Run(runtime, async () =>
        {
            long? seen = null;
            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                await SpindleTask.YieldAsync();
                seen = SpindleTask.CurrentId;
            });
            await handle;
            Assert.Equal(handle.Id, seen);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TaskIds_AreUniqueAcrossSpawningThreads_AndIncreaseInEachThreadsSpawnOrder(RuntimeFlavor flavor)
    {
        // Spawning threads take ids in blocks (TaskCore.IdBlock); spawners running at once on the
        // workers, a blocking thread and a thread outside the runtime, each across several blocks,
        // must still never share an id.
        const int PerSpawner = 3 * TaskCore.IdBlock + 5;
        static long[] SpawnMany(Func<Func<Task>, JoinHandle> spawn)
        {
            var ids = new long[PerSpawner];
            for (int i = 0; i < PerSpawner; i++)
            {
                ids[i] = spawn(static () => Task.CompletedTask).Id;
            }

            return ids;
        }

        using Runtime runtime = Rt.Build(flavor);
        RuntimeHandle handle = runtime.Handle;
        var lists = Rt.Run(runtime, async () =>
        {
            var spawners = new List<JoinHandle<long[]>>();
            for (int s = 0; s < 4; s++)
            {
                spawners.Add(SpindleTask.Spawn(async () =>
                {
                    await SpindleTask.YieldAsync();
                    return SpawnMany(f => SpindleTask.Spawn(f));
                }));
            }

            spawners.Add(SpindleTask.SpawnBlocking(() => SpawnMany(f => handle.Spawn(f))));
            Task<long[]> outside = Task.Run(() => SpawnMany(f => handle.Spawn(f)));
            var all = new List<long[]> { await Rt.Within(outside) };
            foreach (JoinHandle<long[]> spawner in spawners)
            {
                all.Add(await spawner);
            }

            return all;
        });

        foreach (long[] ids in lists)
        {
            Assert.True(ids.Zip(ids.Skip(1)).All(pair => pair.First < pair.Second), $"ids out of spawn order: {string.Join(", ", ids)}");
        }

        long[] every = lists.SelectMany(ids => ids).ToArray();
        Assert.Equal(every.Length, every.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ConfigureAwaitFalse_LeavesRuntime_PlainAwaitReturns(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            long? before = SpindleTask.CurrentId;
            await Task.Delay(1).ConfigureAwait(false);
            long? after = SpindleTask.CurrentId;
            Assert.NotNull(before);
            Assert.Null(after);
        });
        Rt.Run(runtime, async () =>
        {
            long? before = SpindleTask.CurrentId;
            await Task.Delay(1);
            Assert.Equal(before, SpindleTask.CurrentId);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TaskRun_InsideTask_WorksAsInPlainDotNet(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int value = Rt.Run(runtime, async () =>
        {
            long? id = SpindleTask.CurrentId;
            int v = await Task.Run(async () =>
            {
                Assert.Null(SpindleTask.CurrentId);
                await Task.Yield();
                return 5;
            });
            Assert.Equal(id, SpindleTask.CurrentId);
            return v;
        });
        Assert.Equal(5, value);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void JoinHandle_AsTask_SharedByManyAwaiters(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int sum = Rt.Run(runtime, async () =>
        {
            JoinHandle<int> handle = SpindleTask.Spawn(async () =>
            {
                await SpindleTask.YieldAsync();
                return 3;
            });
            Task<int> shared = handle.AsTask();
            int[] all = await Task.WhenAll(shared, shared, shared);
            return all.Sum() + await handle;
        });
        Assert.Equal(12, sum);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Spawn_NullReturningDelegate_FaultsWithClearMessage(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, configure: b => b.OnUnobservedTaskException(_ => { }));
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() =>
            Rt.Run(runtime, async () => await SpindleTask.Spawn(() => (Task)null!)));
        Assert.Contains("returned a null Task", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Spawn_OutsideAnyRuntime_ThrowsClearError()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => SpindleTask.Spawn(() => Task.CompletedTask));
        Assert.Contains("Spindle runtime", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TaskScheduler_View_RunsTplWorkOnRuntime(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        RuntimeHandle handle = runtime.Handle;
        bool onRuntime = Rt.Run(runtime, async () =>
            await Task.Factory.StartNew(() => RuntimeHandle.TryGetCurrent(out RuntimeHandle current) && current == handle,
                CancellationToken.None, TaskCreationOptions.None, handle.TaskScheduler));
        Assert.True(onRuntime);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TaskScheduler_View_AsyncWorkResumesOnRuntimeAfterEveryAwait(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        RuntimeHandle handle = runtime.Handle;
        List<bool> onRuntime = Rt.Run(runtime, async () =>
        {
            Task<List<bool>> work = Task.Factory.StartNew(async () =>
            {
                bool OnRuntime() => RuntimeHandle.TryGetCurrent(out RuntimeHandle current) && current == handle;
                var seen = new List<bool> { OnRuntime() };
                await Task.Yield();
                seen.Add(OnRuntime());
                // A Spindle leaf, completed by the timer driver after the work item's first part has returned.
                await Time.SleepAsync(TimeSpan.FromMilliseconds(1));
                seen.Add(OnRuntime());
                await Task.Delay(1);
                seen.Add(OnRuntime());
                return seen;
            }, CancellationToken.None, TaskCreationOptions.None, handle.TaskScheduler).Unwrap();
            return await Rt.Within(work);
        });
        Assert.Equal([true, true, true, true], onRuntime);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SpawnBlocking_RunsOffWorkers_AndReturnsValue(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        (string? thread, bool inTask) = Rt.Run(runtime, async () =>
            await SpindleTask.SpawnBlocking(() => (Thread.CurrentThread.Name, SpindleTask.CurrentId is not null)));
        Assert.StartsWith("spindle-worker-blocking", thread, StringComparison.Ordinal);
        Assert.False(inTask);
    }

    [Fact]
    public void SpawnBlocking_TwoSpawnsWhileOneThreadIsIdle_StartASecondThread()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        bool waited = Rt.Run(runtime, async () =>
        {
            await SpindleTask.SpawnBlocking(() => 0);
            BlockingPool pool = runtime.Core().Blocking;
            await Waiting.UntilAsync(() => pool.IdleThreadCount == 1);
            using var set = new ManualResetEventSlim();
            JoinHandle<bool> waiter;
            // Holding the pool's lock keeps the pulsed idle thread from waking between the two
            // spawns: the second must see it as taken and start a thread of its own.
            lock (PoolLock(pool))
            {
                waiter = SpindleTask.SpawnBlocking(() => set.Wait(Rt.Bound));
                _ = SpindleTask.SpawnBlocking(set.Set);
            }

            return await waiter;
        });
        Assert.True(waited, "the second blocking task never ran while the first waited for it");
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_lock")]
    private static extern ref object PoolLock(BlockingPool pool);

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SpawnBlocking_SyncOverAsyncInside_DoesNotDeadlock(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int value = Rt.Run(runtime, async () => await SpindleTask.SpawnBlocking(() => Task.Run(async () =>
        {
            await Task.Yield();
            return 9;
        }).GetAwaiter().GetResult()));
        Assert.Equal(9, value);
    }
}
