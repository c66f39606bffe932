using SpindleTests.Support;

namespace SpindleTests.Synchronization;

/// <summary>AsyncBarrier contract on both schedulers: generations, leaders, withdrawn arrivals, listings, allocations.</summary>
public sealed class AsyncBarrierTests
{
    private const int RaceIterations = 200;

    [Fact]
    public void Constructor_NoParticipants_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncBarrier(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncBarrier(-1));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitAsync_SeveralGenerations_ExactlyOneLeaderPerGeneration(RuntimeFlavor flavor)
    {
        const int Participants = 4;
        const int Generations = 50;
        using Runtime runtime = Rt.Build(flavor);
        int[] leaders = new int[Generations];
        int[] released = new int[Generations];
        AsyncBarrier barrier = new(Participants);
        Rt.Run(runtime, async () =>
        {
            var handles = new List<JoinHandle>();
            for (int p = 0; p < Participants; p++)
            {
                handles.Add(SpindleTask.Spawn(async () =>
                {
                    for (int g = 0; g < Generations; g++)
                    {
                        BarrierWaitResult result = await barrier.WaitAsync();
                        Interlocked.Increment(ref released[g]);
                        if (result.IsLeader)
                        {
                            Interlocked.Increment(ref leaders[g]);
                        }
                    }
                }));
            }

            foreach (JoinHandle handle in handles)
            {
                await Rt.Within(handle.AsTask());
            }
        });
        Assert.All(leaders, count => Assert.Equal(1, count));
        Assert.All(released, count => Assert.Equal(Participants, count));
        Assert.Equal(Generations, barrier.Generation);
        Assert.Equal(0, barrier.ArrivedCount);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitAsync_OneParticipant_IsAlwaysLeaderSynchronously(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var barrier = new AsyncBarrier(1);
            for (int i = 0; i < 3; i++)
            {
                ValueTask<BarrierWaitResult> wait = barrier.WaitAsync();
                Assert.True(wait.IsCompletedSuccessfully);
                Assert.True((await wait).IsLeader);
            }

            Assert.Equal(3, barrier.Generation);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitAsync_LeaderInALoop_YieldsWhenTheCoopBudgetIsSpent(RuntimeFlavor flavor)
    {
        // One worker: with two, the other task may be stolen by a worker that is then preempted
        // before it runs it, and the leader (nothing left in its queue) rightly goes on.
        using Runtime runtime = Rt.Build(flavor, configure: b =>
        {
            if (flavor == RuntimeFlavor.MultiThread)
            {
                b.WorkerThreads(1);
            }
        });
        Rt.Run(runtime, async () =>
        {
            var barrier = new AsyncBarrier(1);
            long before = runtime.Handle.Metrics.BudgetForcedYieldCount;
            // Another task waits on this thread (a spent budget with nothing else queued starts over).
            long seenByOther = -1;
            JoinHandle other = SpindleTask.Spawn(() =>
            {
                seenByOther = barrier.Generation;
                return Task.CompletedTask;
            });
            for (int i = 0; i < 3 * Spindle.Internal.Coop.Budget; i++)
            {
                Assert.True((await barrier.WaitAsync()).IsLeader);
            }

            await other;
            Assert.Equal(3 * Spindle.Internal.Coop.Budget, barrier.Generation);
            Assert.True(runtime.Handle.Metrics.BudgetForcedYieldCount > before, "a leader looping on the barrier must give way");
            Assert.InRange(seenByOther, 0, 2 * Spindle.Internal.Coop.Budget);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitAsync_MoreArrivalsThanParticipants_OverflowStartsNextGeneration(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var barrier = new AsyncBarrier(2);
            Task<BarrierWaitResult> first = barrier.WaitAsync().AsTask();
            BarrierWaitResult second = await barrier.WaitAsync();
            Task<BarrierWaitResult> third = barrier.WaitAsync().AsTask();
            Assert.True(second.IsLeader);
            Assert.False((await Rt.Within(first)).IsLeader);
            Assert.False(third.IsCompleted, "the third arrival belongs to the next generation");
            Assert.Equal(1, barrier.ArrivedCount);
            BarrierWaitResult fourth = await barrier.WaitAsync();
            Assert.True(fourth.IsLeader);
            Assert.False((await Rt.Within(third)).IsLeader);
            Assert.Equal(2, barrier.Generation);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitAsync_TokenCancelled_WithdrawsTheArrival(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var barrier = new AsyncBarrier(2);
            using var cts = new CancellationTokenSource();
            Task<BarrierWaitResult> cancelled = barrier.WaitAsync(cts.Token).AsTask();
            Assert.Equal(1, barrier.ArrivedCount);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(0, barrier.ArrivedCount);

            Task<BarrierWaitResult> next = barrier.WaitAsync().AsTask();
            Assert.False(next.IsCompleted, "the withdrawn arrival must not count towards the generation");
            Assert.True((await barrier.WaitAsync()).IsLeader);
            Assert.False((await Rt.Within(next)).IsLeader);
            Assert.Equal(1, barrier.Generation);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitAsync_TaskAborted_WithdrawsTheArrival(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var barrier = new AsyncBarrier(2);
            JoinHandle aborted = SpindleTask.Spawn(async () => await barrier.WaitAsync());
            await Waiting.UntilAsync(() => barrier.ArrivedCount == 1);
            aborted.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await aborted);
            Assert.Equal(0, barrier.ArrivedCount);

            Task<BarrierWaitResult> next = barrier.WaitAsync().AsTask();
            Assert.False(next.IsCompleted);
            Assert.True((await barrier.WaitAsync()).IsLeader);
            await Rt.Within(next);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitAsync_CancelRacingWithLastArrival_EitherReleasedOrWithdrawn(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var barrier = new AsyncBarrier(2);
            for (int i = 0; i < RaceIterations; i++)
            {
                using var cts = new CancellationTokenSource();
                Task<BarrierWaitResult> first = barrier.WaitAsync(cts.Token).AsTask();
                Task<BarrierWaitResult>? second = null;
                await Race.RunAsync(cts.Cancel, () => second = barrier.WaitAsync().AsTask());

                bool firstReleased;
                try
                {
                    Assert.False((await Rt.Within(first)).IsLeader);
                    firstReleased = true;
                }
                catch (OperationCanceledException)
                {
                    firstReleased = false;
                }

                if (firstReleased)
                {
                    Assert.True((await Rt.Within(second!)).IsLeader);
                }
                else
                {
                    Assert.False(second!.IsCompleted, "the second arrival was released although the first withdrew");
                    Assert.True((await barrier.WaitAsync()).IsLeader);
                    Assert.False((await Rt.Within(second)).IsLeader);
                }

                Assert.Equal(0, barrier.ArrivedCount);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetTasks_WaitingTask_ShowsBarrierLeaf(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        TaskInfo info = Rt.Run(runtime, async () =>
        {
            var barrier = new AsyncBarrier(2);
            JoinHandle waiter = SpindleTask.Spawn(async () => await barrier.WaitAsync(), name: "arrived");
            TaskInfo? found = null;
            while (found is null)
            {
                await SpindleTask.YieldAsync();
                found = runtime.Handle.GetTasks().FirstOrDefault(t => t.Id == waiter.Id && t.WaitingOn is not null);
            }

            await barrier.WaitAsync();
            await Rt.Within(waiter.AsTask());
            return found;
        });
        Assert.Equal("barrier", info.WaitingOn!.Kind);
        Assert.Equal("1 of 2 arrived, generation 0", info.WaitingOn.Resource);
        Assert.EndsWith("AsyncBarrierTests.cs", info.WaitingOn.CallerFilePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_OutsideRuntime_WorksWithPlainTasks()
    {
        var barrier = new AsyncBarrier(3);
        Task<BarrierWaitResult>[] waits = Enumerable.Range(0, 3).Select(_ => Task.Run(async () => await barrier.WaitAsync())).ToArray();
        BarrierWaitResult[] results = await Rt.Within(Task.WhenAll(waits));
        Assert.Single(results, r => r.IsLeader);
        Assert.Equal(1, barrier.Generation);
    }

    [Fact]
    public void WaitAsync_GenerationBetweenTwoTasks_AllocatesNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var barrier = new AsyncBarrier(2);
        long perGeneration = Allocation.BytesPerStep(runtime, async steps =>
        {
            JoinHandle partner = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < steps; i++)
                {
                    await barrier.WaitAsync();
                }
            });
            for (int i = 0; i < steps; i++)
            {
                await barrier.WaitAsync();
            }

            await partner;
        });
        Assert.Equal(0, perGeneration);
    }
}
