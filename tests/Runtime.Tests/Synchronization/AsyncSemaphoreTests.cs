using SpindleTests.Support;

namespace SpindleTests.Synchronization;

public sealed class AsyncSemaphoreTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AcquireAsync_PermitsFree_TakesAndDisposeReturns(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(3);
            SemaphorePermit one = await semaphore.AcquireAsync();
            SemaphorePermit two = await semaphore.AcquireManyAsync(2);
            Assert.Equal(0, semaphore.AvailablePermits);
            Assert.Equal(2, two.Count);
            Assert.False(semaphore.TryAcquire(out _));
            two.Dispose();
            Assert.Equal(2, semaphore.AvailablePermits);
            one.Dispose();
            Assert.Equal(3, semaphore.AvailablePermits);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AcquireAsync_Contended_ServesWaitersInArrivalOrder(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        List<int> order = Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(1);
            var order = new List<int>();
            SemaphorePermit held = await semaphore.AcquireAsync();
            var waiters = new List<JoinHandle>();
            for (int i = 0; i < 5; i++)
            {
                int me = i;
                JoinHandle waiter = SpindleTask.Spawn(async () =>
                {
                    using SemaphorePermit permit = await semaphore.AcquireAsync();
                    lock (order)
                    {
                        order.Add(me);
                    }
                });
                // Each waiter queues before the next is spawned, so arrival order is 0..4.
                await Waiting.UntilParkedAsync(runtime, waiter.Id);
                waiters.Add(waiter);
            }

            held.Dispose();
            foreach (JoinHandle waiter in waiters)
            {
                await waiter;
            }

            return order;
        });
        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AcquireManyAsync_LargeRequestAtHead_HoldsBackLaterSmallOnes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(2);
            SemaphorePermit first = await semaphore.AcquireAsync();
            SemaphorePermit second = await semaphore.AcquireAsync();
            JoinHandle<int> big = SpindleTask.Spawn(async () =>
            {
                using SemaphorePermit p = await semaphore.AcquireManyAsync(2);
                return p.Count;
            });
            await Waiting.UntilParkedAsync(runtime, big.Id);
            JoinHandle<int> small = SpindleTask.Spawn(async () =>
            {
                using SemaphorePermit p = await semaphore.AcquireAsync();
                return p.Count;
            });
            await Waiting.UntilParkedAsync(runtime, small.Id);

            // One permit back: enough for the small request, but it queued behind the big one.
            first.Dispose();
            Assert.Equal(1, semaphore.AvailablePermits);
            Assert.False(small.IsFinished);
            second.Dispose();
            Assert.Equal(2, await big);
            Assert.Equal(1, await small);
            Assert.Equal(2, semaphore.AvailablePermits);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AcquireAsync_HeadCancelled_PermitsGoToTheWaitersBehind(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(1);
            using var cts = new CancellationTokenSource();
            JoinHandle big = SpindleTask.Spawn(async () => { using var p = await semaphore.AcquireManyAsync(2, cts.Token); });
            await Waiting.UntilParkedAsync(runtime, big.Id);
            JoinHandle<int> small = SpindleTask.Spawn(async () =>
            {
                using SemaphorePermit p = await semaphore.AcquireAsync();
                return p.Count;
            });
            await Waiting.UntilParkedAsync(runtime, small.Id);

            // The free permit was held back by the big request; cancelling it must pass the permit on.
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await big);
            Assert.Equal(1, await small);
            Assert.Equal(1, semaphore.AvailablePermits);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AcquireAsync_WaiterAborted_LosesNoPermit(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(1);
            SemaphorePermit held = await semaphore.AcquireAsync();
            bool finallyRan = false;
            JoinHandle victim = SpindleTask.Spawn(async () =>
            {
                try
                {
                    using SemaphorePermit p = await semaphore.AcquireAsync();
                }
                finally
                {
                    finallyRan = true;
                }
            });
            LeafInfo leaf = await Waiting.UntilParkedAsync(runtime, victim.Id);
            Assert.Equal("semaphore", leaf.Kind);
            Assert.Contains("1 waiting", leaf.Resource, StringComparison.Ordinal);
            victim.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await victim);
            Assert.True(finallyRan);
            held.Dispose();
            Assert.Equal(1, semaphore.AvailablePermits);
            Assert.True(semaphore.TryAcquire(out SemaphorePermit again));
            again.Dispose();
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Close_FailsWaitersAndLaterAcquisitions_HeldPermitsStillRelease(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(1);
            SemaphorePermit held = await semaphore.AcquireAsync();
            JoinHandle waiter = SpindleTask.Spawn(async () => { using var p = await semaphore.AcquireAsync(); });
            await Waiting.UntilParkedAsync(runtime, waiter.Id);
            semaphore.Close();
            Assert.True(semaphore.IsClosed);
            SemaphoreClosedException error = await Assert.ThrowsAsync<SemaphoreClosedException>(async () => await waiter);
            Assert.Contains("closed", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<SemaphoreClosedException>(async () => await semaphore.AcquireAsync());
            Assert.False(semaphore.TryAcquire(out _));
            held.Dispose();
            Assert.Equal(1, semaphore.AvailablePermits);
        });
    }

    [Fact]
    public void AddAndForgetPermits_ChangeTheCount_BadArgumentsThrow()
    {
        var semaphore = new AsyncSemaphore(2);
        semaphore.AddPermits(3);
        Assert.Equal(5, semaphore.AvailablePermits);
        Assert.Equal(5, semaphore.ForgetPermits(7));
        Assert.Equal(0, semaphore.AvailablePermits);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncSemaphore(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.AddPermits(-1));
        semaphore.AddPermits(1);
        ArgumentOutOfRangeException overflow = Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.AddPermits(int.MaxValue));
        Assert.Contains("exceed", overflow.Message, StringComparison.Ordinal);
        Assert.Equal("count", overflow.ParamName);
        Assert.Equal(1, semaphore.AvailablePermits);
        Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.AcquireManyAsync(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.TryAcquireMany(-2, out _));
    }

    [Fact]
    public async Task AcquireAsync_OutsideAnyRuntime_WorksWithPlainTasks()
    {
        var semaphore = new AsyncSemaphore(0);
        ValueTask<SemaphorePermit> pending = semaphore.AcquireAsync();
        Assert.False(pending.IsCompleted);
        semaphore.AddPermits(1);
        using SemaphorePermit permit = await pending.AsTask().WaitAsync(Rt.Bound);
        Assert.Equal(1, permit.Count);
        Assert.Equal(0, semaphore.AvailablePermits);
    }

    [Fact]
    public void BlockingAcquire_FromPlainThread_Waits_OnRuntimeThread_Throws()
    {
        var semaphore = new AsyncSemaphore(0);
        var acquired = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            SemaphorePermit permit = semaphore.BlockingAcquire();
            acquired.SetResult(permit.Count);
            permit.Dispose();
        })
        { IsBackground = true };
        thread.Start();
        semaphore.AddPermits(1);
        Assert.Equal(1, acquired.Task.WaitAsync(Rt.Bound).GetAwaiter().GetResult());
        Assert.True(thread.Join(Rt.Bound));

        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Rt.Run(runtime, () =>
        {
            semaphore.BlockingAcquire();
            return Task.CompletedTask;
        }));
        Assert.Contains("Await the asynchronous form", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AcquireAsync_ReadyInALoop_ConsumesCoopBudget()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long forced = Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(1);
            // Another task always waits on this thread: a spent budget with nothing else queued
            // starts over instead of yielding.
            bool stop = false;
            JoinHandle other = SpindleTask.Spawn(async () =>
            {
                while (!Volatile.Read(ref stop))
                {
                    await SpindleTask.YieldAsync();
                }
            });
            for (int i = 0; i < 1_000; i++)
            {
                using SemaphorePermit permit = await semaphore.AcquireAsync();
            }

            long forcedYields = runtime.Metrics.BudgetForcedYieldCount;
            Volatile.Write(ref stop, true);
            await other;
            return forcedYields;
        });
        Assert.True(forced >= 1_000 / 128 - 1, $"expected forced yields every 128 acquisitions, saw {forced}");
    }

    [Fact]
    public void AcquireAsync_DeferredByTheBudget_EndsWithTheTimeoutThatExpiredDuringItsYield()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(1);
            int rounds = 0;
            JoinHandle looper = SpindleTask.Spawn(() => Time.TimeoutAsync(TimeSpan.FromSeconds(1), async _ =>
            {
                while (true)
                {
                    using SemaphorePermit permit = await semaphore.AcquireAsync();
                    rounds++;
                }
            }));
            // On one thread the looper is suspended only in the forced yield of a deferred acquire, holding nothing.
            await Waiting.UntilAsync(() => rounds > Spindle.Internal.Coop.Budget);
            using SemaphorePermit held = await semaphore.AcquireAsync();
            int before = rounds;
            // The scope expires while the acquire is deferred (in no queue, so the timer cannot end it).
            await Time.AdvanceAsync(TimeSpan.FromSeconds(2));
            // It must see the expired scope when it runs, not queue behind the permit held here.
            await Assert.ThrowsAsync<TimeoutException>(async () => await looper);
            Assert.Equal(before, rounds);
        });
    }

    [Fact]
    public void AcquireRelease_ContendedHandOff_AllocatesNothingInSteadyState()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var semaphore = new AsyncSemaphore(1);
        long perOp = Allocation.BytesPerStep(runtime, async steps =>
        {
            JoinHandle other = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < steps; i++)
                {
                    using SemaphorePermit permit = await semaphore.AcquireAsync();
                    await SpindleTask.YieldAsync();
                }
            });
            for (int i = 0; i < steps; i++)
            {
                using SemaphorePermit permit = await semaphore.AcquireAsync();
                await SpindleTask.YieldAsync();
            }

            await other;
        });
        Assert.Equal(0, perOp);
    }

    [Fact]
    public void AcquireAsync_CancelledWhileForcedToYield_ThrowsAndKeepsNoPermit()
    {
        // Current-thread: the other task can only run when the loop's budget runs out and its
        // acquisition is deferred to the next poll; the token it cancels must still be honoured then.
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        (int acquired, int available) = Rt.Run(runtime, async () =>
        {
            var semaphore = new AsyncSemaphore(1);
            using var cts = new CancellationTokenSource();
            JoinHandle canceller = SpindleTask.Spawn(() =>
            {
                cts.Cancel();
                return Task.CompletedTask;
            });
            int acquired = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                while (true)
                {
                    using SemaphorePermit permit = await semaphore.AcquireAsync(cts.Token);
                    acquired++;
                }
            });
            await canceller;
            return (acquired, semaphore.AvailablePermits);
        });
        Assert.InRange(acquired, 1, 128);
        Assert.Equal(1, available);
    }

    [Fact]
    public void PermitValueSemantics_ToStrings_AndExceptionConstructors()
    {
        var semaphore = new AsyncSemaphore(3);
        Assert.True(semaphore.TryAcquireMany(2, out SemaphorePermit two));
        SemaphorePermit copy = two;
        Assert.True(two == copy);
        Assert.True(two.Equals((object)copy));
        Assert.Equal(two.GetHashCode(), copy.GetHashCode());
        Assert.True(two != default);
        Assert.False(two.Equals("2"));
        Assert.Equal("SemaphorePermit(2)", two.ToString());
        Assert.Equal("AsyncSemaphore(1 available)", semaphore.ToString());
        two.Dispose();
        default(SemaphorePermit).Dispose();
        Assert.Equal(3, semaphore.AvailablePermits);
        semaphore.Close();
        Assert.Equal("AsyncSemaphore(3 available, closed)", semaphore.ToString());

        Assert.Contains("Close", new SemaphoreClosedException().Message, StringComparison.Ordinal);
        Assert.Equal("custom", new SemaphoreClosedException("custom").Message);
        var inner = new InvalidOperationException("cause");
        Assert.Same(inner, new SemaphoreClosedException("wrapped", inner).InnerException);
    }

    [Fact]
    public void LockToStrings_SayWhatIsHeld()
    {
        var mutex = new AsyncMutex<int>(0);
        Assert.Equal("AsyncMutex<Int32>(unlocked)", mutex.ToString());
        Assert.True(mutex.TryLock(out AsyncMutexGuard<int> guard));
        Assert.Equal("AsyncMutex<Int32>(locked)", mutex.ToString());
        guard.Dispose();

        var rw = new AsyncRwLock<string>("x", maxReaders: 3);
        Assert.True(rw.TryRead(out AsyncRwLockReadGuard<string> read));
        Assert.Equal("AsyncRwLock<String>(2 of 3 read permits free)", rw.ToString());
        read.Dispose();
    }
}
