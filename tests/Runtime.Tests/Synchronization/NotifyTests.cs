using SpindleTests.Support;

namespace SpindleTests.Synchronization;

/// <summary>Notify contract on both schedulers: permit, FIFO/LIFO, broadcast, cancellation races, listings, allocations.</summary>
public sealed class NotifyTests
{
    /// <summary>Spawns <paramref name="count"/> tasks that wait on <paramref name="notify"/>, one at a time so they queue in order; each returned task completes when its waiter was woken.</summary>
    private static async Task<List<Task>> QueueWaitersAsync(Notify notify, int count)
    {
        var woken = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = SpindleTask.Spawn(async () =>
            {
                await notify.NotifiedAsync();
                done.SetResult();
            });
            woken.Add(done.Task);
            int queued = i + 1;
            await Waiting.UntilAsync(() => notify.WaiterCount == queued);
        }

        return woken;
    }

    /// <summary>Iterations of each race: enough to hit both orders many times on 2 cores, bounded so the suite stays quick.</summary>
    private const int RaceIterations = 200;

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifyOne_NoWaiter_StoresOnePermitThatDoesNotAddUp(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            notify.NotifyOne();
            notify.NotifyOne();
            notify.NotifyOne();
            Assert.True(notify.HasPermit);

            ValueTask first = notify.NotifiedAsync();
            Assert.True(first.IsCompletedSuccessfully, "a stored permit is taken synchronously");
            await first;
            Assert.False(notify.HasPermit);

            using var cts = new CancellationTokenSource();
            ValueTask second = notify.NotifiedAsync(cts.Token);
            Assert.False(second.IsCompleted, "three NotifyOne with nobody waiting leave a single permit");
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await second);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifyOne_SeveralWaiters_WakesThemInFifoOrder(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            List<Task> woken = await QueueWaitersAsync(notify, 4);

            for (int i = 0; i < 4; i++)
            {
                notify.NotifyOne();
                Task first = await Rt.Within(Task.WhenAny(woken.Skip(i)));
                Assert.Same(woken[i], first);
            }

            Assert.False(notify.HasPermit);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifyLast_SeveralWaiters_WakesTheNewestFirst(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            List<Task> woken = await QueueWaitersAsync(notify, 3);

            for (int i = 2; i >= 0; i--)
            {
                notify.NotifyLast();
                Task first = await Rt.Within(Task.WhenAny(woken.Take(i + 1)));
                Assert.Same(woken[i], first);
            }

            notify.NotifyLast();
            Assert.True(notify.HasPermit, "NotifyLast with nobody waiting stores the permit");
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifyWaiters_WakesEveryCurrentWaiter_AndStoresNoPermit(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            var handles = new List<JoinHandle>();
            for (int i = 0; i < 5; i++)
            {
                handles.Add(SpindleTask.Spawn(async () => await notify.NotifiedAsync()));
            }

            await Waiting.UntilAsync(() => notify.WaiterCount == 5);
            notify.NotifyWaiters();
            foreach (JoinHandle handle in handles)
            {
                await Rt.Within(handle.AsTask());
            }

            Assert.False(notify.HasPermit);
            using var cts = new CancellationTokenSource();
            ValueTask late = notify.NotifiedAsync(cts.Token);
            Assert.False(late.IsCompleted, "a waiter that arrives after NotifyWaiters waits for the next notification");
            notify.NotifyOne();
            await Rt.Within(late.AsTask());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifiedAsync_CalledBeforeNotifyWaiters_IsWokenWhenAwaitedLater(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            // tokio's enable(): register, then check the condition, then await.
            ValueTask notified = notify.NotifiedAsync();
            Assert.Equal(1, notify.WaiterCount);
            notify.NotifyWaiters();
            await Rt.Within(notified.AsTask());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifiedAsync_TokenCancelled_LeavesQueue_AndLaterNotificationIsStored(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            using var cts = new CancellationTokenSource();
            ValueTask waiting = notify.NotifiedAsync(cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
            Assert.Equal(0, notify.WaiterCount);
            notify.NotifyOne();
            Assert.True(notify.HasPermit, "the notification must not go to the cancelled waiter");
            ValueTask taken = notify.NotifiedAsync();
            Assert.True(taken.IsCompletedSuccessfully);
            await taken;
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifiedAsync_AlreadyCancelledToken_ThrowsWithoutTakingThePermit(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            notify.NotifyOne();
            await Assert.ThrowsAsync<OperationCanceledException>(async () => await notify.NotifiedAsync(new CancellationToken(canceled: true)));
            Assert.True(notify.HasPermit);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifiedAsync_TaskAborted_EndsNow_AndLaterNotificationIsStored(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            bool finallyRan = false;
            JoinHandle waiter = SpindleTask.Spawn(async () =>
            {
                try
                {
                    await notify.NotifiedAsync();
                }
                finally
                {
                    finallyRan = true;
                }
            });
            await Waiting.UntilAsync(() => notify.WaiterCount == 1);
            waiter.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await waiter);
            Assert.True(finallyRan);
            Assert.Equal(0, notify.WaiterCount);
            notify.NotifyOne();
            Assert.True(notify.HasPermit);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifyOne_RacingWithTokenCancellation_NotificationGoesToCancelledOrNextWaiter(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            for (int i = 0; i < RaceIterations; i++)
            {
                using var cts = new CancellationTokenSource();
                JoinHandle<bool> first = SpindleTask.Spawn(async () =>
                {
                    try
                    {
                        await notify.NotifiedAsync(cts.Token);
                        return true;
                    }
                    catch (OperationCanceledException)
                    {
                        return false;
                    }
                });
                await Waiting.UntilAsync(() => notify.WaiterCount == 1);
                JoinHandle second = SpindleTask.Spawn(async () => await notify.NotifiedAsync());
                await Waiting.UntilAsync(() => notify.WaiterCount == 2);

                await Race.RunAsync(cts.Cancel, notify.NotifyOne);

                bool got = await Rt.Within(first.AsTask());
                if (got)
                {
                    Assert.False(second.IsFinished, "one NotifyOne woke two waiters");
                    notify.NotifyOne();
                }

                await Rt.Within(second.AsTask());
                Assert.False(notify.HasPermit, "the notification was stored although a waiter took it");
                Assert.Equal(0, notify.WaiterCount);
            }

        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifyOne_RacingWithAbort_NotificationGoesToAbortedOrNextWaiter(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            for (int i = 0; i < RaceIterations; i++)
            {
                int got = 0;
                JoinHandle first = SpindleTask.Spawn(async () =>
                {
                    await notify.NotifiedAsync();
                    Volatile.Write(ref got, 1);
                });
                await Waiting.UntilAsync(() => notify.WaiterCount == 1);
                JoinHandle second = SpindleTask.Spawn(async () => await notify.NotifiedAsync());
                await Waiting.UntilAsync(() => notify.WaiterCount == 2);

                await Race.RunAsync(first.Abort, notify.NotifyOne);

                try
                {
                    await Rt.Within(first.AsTask());
                }
                catch (TaskAbortedException)
                {
                }

                if (Volatile.Read(ref got) == 1)
                {
                    Assert.False(second.IsFinished, "one NotifyOne woke two waiters");
                    notify.NotifyOne();
                }

                await Rt.Within(second.AsTask());
                Assert.False(notify.HasPermit, "the notification was stored although a waiter took it");
            }
        });
    }

    [Fact]
    public void NotifiedAsync_AbortedWhileYieldingForBudget_StillDeliversTheTakenPermit()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            int rounds = 0;
            notify.NotifyOne();
            JoinHandle spinner = SpindleTask.Spawn(async () =>
            {
                while (true)
                {
                    await notify.NotifiedAsync();
                    rounds++;
                    notify.NotifyOne();
                }
            });
            // On one thread the spinner can only be suspended in the forced yield, holding the permit it took.
            await Waiting.UntilAsync(() => rounds > Spindle.Internal.Coop.Budget);
            Assert.False(notify.HasPermit);
            int before = rounds;
            spinner.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await spinner);
            Assert.Equal(before + 1, rounds);
            Assert.True(notify.HasPermit, "the delivered round stored the next permit; the aborted wait after it took nothing");
            Assert.True(runtime.Handle.Metrics.BudgetForcedYieldCount > 0);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetTasks_WaitingTask_ShowsNotifyLeaf(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        TaskInfo info = Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle waiter = SpindleTask.Spawn(async () => await notify.NotifiedAsync(), name: "notified");
            TaskInfo? found = null;
            while (found is null)
            {
                await SpindleTask.YieldAsync();
                found = runtime.Handle.GetTasks().FirstOrDefault(t => t.Id == waiter.Id && t.WaitingOn is not null);
            }

            notify.NotifyOne();
            await Rt.Within(waiter.AsTask());
            return found;
        });
        Assert.Equal("notify", info.WaitingOn!.Kind);
        Assert.Equal("1 waiting", info.WaitingOn.Resource);
        Assert.EndsWith("NotifyTests.cs", info.WaitingOn.CallerFilePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotifiedAsync_OutsideRuntime_WorksWithPlainTasks()
    {
        var notify = new Notify();
        Task waiting = notify.NotifiedAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        Task notifier = Task.Run(notify.NotifyOne);
        await Rt.Within(waiting);
        await Rt.Within(notifier);

        notify.NotifyOne();
        await Rt.Within(notify.NotifiedAsync().AsTask());

        Task[] many = Enumerable.Range(0, 3).Select(_ => notify.NotifiedAsync().AsTask()).ToArray();
        notify.NotifyWaiters();
        await Rt.Within(Task.WhenAll(many));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifiedAsync_WhileTheFirstWaiterIsWokenButNotResumed_WaitsSeparately_AndBothComplete(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            // The first wait of a Notify uses the waiter it keeps; a wait that starts before that one's
            // result was taken must get its own waiter, in line behind, for every round.
            var notify = new Notify();
            for (int round = 0; round < 20; round++)
            {
                var firstDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                JoinHandle first = SpindleTask.Spawn(async () =>
                {
                    await notify.NotifiedAsync();
                    firstDone.SetResult();
                });
                await Waiting.UntilAsync(() => notify.WaiterCount == 1);
                notify.NotifyOne();
                // Current-thread: the woken task has not resumed yet (this task holds the only thread).
                ValueTask second = notify.NotifiedAsync();
                Assert.False(second.IsCompleted);
                Assert.Equal(1, notify.WaiterCount);
                notify.NotifyOne();
                await second.AsTask().WaitAsync(Rt.Bound);
                await Rt.Within(firstDone.Task);
                await first;
                Assert.False(notify.HasPermit);
            }
        });
    }

    [Fact]
    public void NotifyRoundTrip_BetweenTwoTasks_AllocatesNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var ping = new Notify();
        var pong = new Notify();
        long perRound = Allocation.BytesPerStep(runtime, async steps =>
        {
            JoinHandle partner = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < steps; i++)
                {
                    await ping.NotifiedAsync();
                    pong.NotifyOne();
                }
            });
            for (int i = 0; i < steps; i++)
            {
                ping.NotifyOne();
                await pong.NotifiedAsync();
            }

            await partner;
        });
        Assert.Equal(0, perRound);
    }

    [Fact]
    public void NotifyOneThenNotified_StoredPermit_AllocatesNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var notify = new Notify();
        long perRound = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                notify.NotifyOne();
                await notify.NotifiedAsync();
            }
        });
        Assert.Equal(0, perRound);
    }
}
