using SpindleTests.Support;

namespace SpindleTests.Stress;

/// <summary>
/// Bounded stress tests. CI runs the short form; set <c>SPINDLE_STRESS=long</c> for the full counts
/// (1,000,000 wake-ups and more iterations). Every wait is bounded, so a lost wake-up fails the test.
/// </summary>
[Trait("Category", "Stress")]
public sealed class StressTests
{
    private static readonly bool s_long = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long";

    private static int Scale(int shortCount, int longCount) => s_long ? longCount : shortCount;

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void CrossTaskWakeups_RingOfTasks_NoneLost(RuntimeFlavor flavor)
    {
        int hops = Scale(100_000, 1_000_000);
        const int RingSize = 8;
        using Runtime runtime = Rt.Build(flavor);
        int done = Rt.Run(runtime, async () =>
        {
            var gates = Enumerable.Range(0, RingSize).Select(_ => new SemaphoreSlim(0)).ToArray();
            int counter = 0;
            var ring = new List<JoinHandle>();
            for (int i = 0; i < RingSize; i++)
            {
                int me = i;
                ring.Add(SpindleTask.Spawn(async () =>
                {
                    while (true)
                    {
                        // Each wait is a foreign await completed from whichever thread ran the previous hop.
                        // No per-wait timeout: SemaphoreSlim implements one with Task.WhenAny and a thread-pool
                        // hop per wait, which made each hop cost a pool thread's latency (over the bound when
                        // other processes hog the cores). A lost wake-up still fails: Rt.Run bounds the whole
                        // ring and lists each task's poll count. Wakes from a thread outside the runtime are
                        // CrossThreadWakeups_FromForeignThread_NoneLost's subject.
                        await gates[me].WaitAsync();

                        if (Interlocked.Increment(ref counter) >= hops)
                        {
                            foreach (SemaphoreSlim gate in gates)
                            {
                                gate.Release();
                            }

                            return;
                        }

                        gates[(me + 1) % RingSize].Release();
                    }
                }));
            }

            gates[0].Release();
            foreach (JoinHandle h in ring)
            {
                await h;
            }

            return Volatile.Read(ref counter);
        });
        Assert.True(done >= hops);
    }

    [Fact]
    public void CrossThreadWakeups_FromForeignThread_NoneLost()
    {
        int wakes = Scale(100_000, 1_000_000);
        const int Tasks = 4;
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var gates = Enumerable.Range(0, Tasks).Select(_ => new SemaphoreSlim(0)).ToArray();
        var acks = new SemaphoreSlim(0);
        var handles = Enumerable.Range(0, Tasks).Select(i => runtime.Spawn(async () =>
        {
            for (int n = 0; n < wakes / Tasks; n++)
            {
                if (!await gates[i].WaitAsync(Rt.Bound))
                {
                    throw new TimeoutException($"task {i} lost wake-up {n}");
                }

                acks.Release();
            }
        })).ToList();
        for (int n = 0; n < wakes / Tasks; n++)
        {
            foreach (SemaphoreSlim gate in gates)
            {
                gate.Release();
            }

            for (int i = 0; i < Tasks; i++)
            {
                Assert.True(acks.Wait(Rt.Bound), $"round {n}: a task did not wake");
            }
        }

        Rt.Run(runtime, async () =>
        {
            foreach (JoinHandle h in handles)
            {
                await h;
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SpawnFromManyThreads_WhileShuttingDown_EveryHandleFinishes(RuntimeFlavor flavor)
    {
        for (int round = 0; round < Scale(5, 100); round++)
        {
            Runtime runtime = Rt.Build(flavor);
            var handles = new System.Collections.Concurrent.ConcurrentBag<JoinHandle<int>>();
            var unexpected = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            using var enough = new CountdownEvent(200);
            Thread[] spawners = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        handles.Add(runtime.Spawn(async () =>
                        {
                            await SpindleTask.YieldAsync();
                            return 1;
                        }));
                        if (enough.CurrentCount > 0)
                        {
                            enough.Signal();
                        }
                    }
                }
                catch (InvalidOperationException)
                {
                    // The runtime shut down: expected, and the only way out of the loop.
                }
                catch (Exception e)
                {
                    unexpected.Add(e);
                }
            })
            { IsBackground = true }).ToArray();
            foreach (Thread t in spawners)
            {
                t.Start();
            }

            if (flavor == RuntimeFlavor.CurrentThread)
            {
                Rt.Run(runtime, async () =>
                {
                    while (!enough.IsSet)
                    {
                        await SpindleTask.YieldAsync();
                    }
                });
            }

            Assert.True(enough.Wait(Rt.Bound));
            runtime.Shutdown(TimeSpan.FromSeconds(10));
            foreach (Thread t in spawners)
            {
                Assert.True(t.Join(Rt.Bound), "a spawner did not see the shutdown");
            }

            Assert.Empty(unexpected);
            Assert.True(SpinWait.SpinUntil(() => handles.All(h => h.IsFinished), Rt.Bound), $"round {round}: unfinished handles after shutdown");
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AbortRacingCompletion_EveryJoinGivesValueOrAborted(RuntimeFlavor flavor)
    {
        int count = Scale(10_000, 200_000);
        using Runtime runtime = Rt.Build(flavor);
        (int Values, int Aborted) outcome = Rt.Run(runtime, async () =>
        {
            var handles = new JoinHandle<int>[count];
            for (int i = 0; i < count; i++)
            {
                int n = i;
                handles[i] = SpindleTask.Spawn(async () =>
                {
                    await SpindleTask.YieldAsync();
                    return n;
                });
                if (i % 3 == 0)
                {
                    handles[i / 2].Abort();
                }
            }

            int values = 0, aborted = 0;
            for (int i = 0; i < count; i++)
            {
                try
                {
                    Assert.Equal(i, await handles[i]);
                    values++;
                }
                catch (TaskAbortedException)
                {
                    aborted++;
                }
            }

            return (values, aborted);
        });
        Assert.Equal(count, outcome.Values + outcome.Aborted);
        Assert.True(SpinWait.SpinUntil(() => runtime.Metrics.NumAliveTasks == 0, Rt.Bound));
    }

    /// <summary>
    /// A join from outside the runtime racing the task's completion on a worker: the completion
    /// reads the join slot after its completing compare-exchange and claims what it finds, the joiner
    /// re-reads the state after storing and takes its continuation back if the task completed. In
    /// every order the joiner resumes once, with the value.
    /// </summary>
    [Fact]
    public void JoinRacingCompletion_FromOutside_EveryJoinerResumesWithTheValue()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        for (int round = 0; round < Scale(500, 50_000); round++)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int n = round;
            JoinHandle<int> handle = runtime.Spawn(async () =>
            {
                await gate.Task;
                return n;
            });
            Task<int>? joined = null;
            Assert.True(Race.RunAsync(gate.SetResult, () => joined = handle.AsTask()).Wait(Rt.Bound), $"round {round}: the race did not end");
            Assert.True(joined!.Wait(Rt.Bound), $"round {round}: the joiner never resumed");
            Assert.Equal(n, joined.Result);
        }

        Assert.True(SpinWait.SpinUntil(() => runtime.Metrics.NumAliveTasks == 0, Rt.Bound));
    }

    /// <summary>
    /// Regression: a join continuation enqueued on a task while its poll was ending was lost, twice:
    /// once between the poll's queue check and its state read, once through store-load reordering
    /// between the waker's enqueue and its state read (found by the yield_many benchmark).
    /// </summary>
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void YieldingTasksJoinedByRoot_ManyRounds_NoWakeLost(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int yields = Scale(100, 1_000);
        for (int round = 0; round < Scale(1_000, 5_000); round++)
        {
            int total = Rt.Run(runtime, async () =>
            {
                var handles = new JoinHandle<int>[4];
                for (int t = 0; t < handles.Length; t++)
                {
                    handles[t] = SpindleTask.Spawn(async () =>
                    {
                        for (int i = 0; i < yields; i++)
                        {
                            await SpindleTask.YieldAsync();
                        }

                        return 1;
                    });
                }

                int sum = 0;
                foreach (JoinHandle<int> h in handles)
                {
                    sum += await h;
                }

                return sum;
            });
            Assert.Equal(4, total);
        }
    }
}
