using SpindleTests.Support;

namespace SpindleTests.Synchronization;

public sealed class AsyncMutexTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void LockAsync_ManyTasks_IncrementsAreNotLost(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int total = Rt.Run(runtime, async () =>
        {
            var mutex = new AsyncMutex<int>(0);
            var set = new JoinSet<int>();
            for (int t = 0; t < 8; t++)
            {
                set.Spawn(async () =>
                {
                    for (int i = 0; i < 200; i++)
                    {
                        using AsyncMutexGuard<int> guard = await mutex.LockAsync();
                        int seen = guard.Value;
                        // Hold the lock across an await: another task must not get in meanwhile.
                        await SpindleTask.YieldAsync();
                        guard.Value = seen + 1;
                    }

                    return 0;
                });
            }

            while (await set.JoinNextAsync() is { } result)
            {
                _ = result.Value;
            }

            using AsyncMutexGuard<int> final = await mutex.LockAsync();
            return final.Value;
        });
        Assert.Equal(8 * 200, total);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void LockAsync_Contended_IsFifo(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        List<int> order = Rt.Run(runtime, async () =>
        {
            var mutex = new AsyncMutex<List<int>>([]);
            AsyncMutexGuard<List<int>> held = await mutex.LockAsync();
            Assert.True(mutex.IsLocked);
            var waiters = new List<JoinHandle>();
            for (int i = 0; i < 4; i++)
            {
                int me = i;
                JoinHandle waiter = SpindleTask.Spawn(async () =>
                {
                    using AsyncMutexGuard<List<int>> guard = await mutex.LockAsync();
                    guard.Value.Add(me);
                });
                LeafInfo leaf = await Waiting.UntilParkedAsync(runtime, waiter.Id);
                Assert.Equal("mutex", leaf.Kind);
                waiters.Add(waiter);
            }

            held.Dispose();
            foreach (JoinHandle waiter in waiters)
            {
                await waiter;
            }

            Assert.False(mutex.IsLocked);
            using AsyncMutexGuard<List<int>> last = await mutex.LockAsync();
            return last.Value;
        });
        Assert.Equal([0, 1, 2, 3], order);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void LockAsync_WaiterCancelledOrAborted_LockGoesToTheNext(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var mutex = new AsyncMutex<string>("start");
            AsyncMutexGuard<string> held = await mutex.LockAsync();
            using var cts = new CancellationTokenSource();
            JoinHandle cancelled = SpindleTask.Spawn(async () => { using var g = await mutex.LockAsync(cts.Token); g.Value = "cancelled"; });
            await Waiting.UntilParkedAsync(runtime, cancelled.Id);
            JoinHandle aborted = SpindleTask.Spawn(async () => { using var g = await mutex.LockAsync(); g.Value = "aborted"; });
            await Waiting.UntilParkedAsync(runtime, aborted.Id);
            JoinHandle<string> next = SpindleTask.Spawn(async () =>
            {
                using var g = await mutex.LockAsync();
                string before = g.Value;
                g.Value = "next";
                return before;
            });
            await Waiting.UntilParkedAsync(runtime, next.Id);

            await cts.CancelAsync();
            aborted.Abort();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await aborted);
            held.Value = "handed over";
            held.Dispose();
            Assert.Equal("handed over", await next);
            Assert.True(mutex.TryLock(out AsyncMutexGuard<string> again));
            Assert.Equal("next", again.Value);
            again.Dispose();
        });
    }

    [Fact]
    public void Guard_AfterDispose_ValueThrowsAndSecondDisposeIsHarmless()
    {
        var mutex = new AsyncMutex<int>(7);
        Assert.True(mutex.TryLock(out AsyncMutexGuard<int> guard));
        AsyncMutexGuard<int> copy = guard;
        Assert.False(mutex.TryLock(out _));
        guard.Dispose();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => copy.Value);
        Assert.Contains("no longer holds the lock", error.Message, StringComparison.Ordinal);

        Assert.True(mutex.TryLock(out AsyncMutexGuard<int> second));
        // A stale copy must not unlock the new holder.
        copy.Dispose();
        Assert.True(mutex.IsLocked);
        Assert.Equal(7, second.Value);
        second.Dispose();
        Assert.False(mutex.IsLocked);
        Assert.Throws<InvalidOperationException>(() => default(AsyncMutexGuard<int>).Value);
        default(AsyncMutexGuard<int>).Dispose();
    }

    [Fact]
    public void BlockingLock_FromPlainThreads_Excludes_OnRuntimeThread_Throws()
    {
        var mutex = new AsyncMutex<int>(0);
        var threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < 500; i++)
                {
                    using AsyncMutexGuard<int> guard = mutex.BlockingLock();
                    guard.Value++;
                }
            })
            { IsBackground = true };
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(Rt.Bound));
        }

        using (AsyncMutexGuard<int> guard = mutex.BlockingLock())
        {
            Assert.Equal(4 * 500, guard.Value);
        }

        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        Assert.Throws<InvalidOperationException>(() => Rt.Run(runtime, async () =>
        {
            await SpindleTask.YieldAsync();
            mutex.BlockingLock();
        }));
        Assert.False(mutex.IsLocked);

        // SpawnBlocking code is where blocking belongs (the error message sends callers there).
        int value = Rt.Run(runtime, async () => await SpindleTask.SpawnBlocking(() =>
        {
            using AsyncMutexGuard<int> guard = mutex.BlockingLock();
            return guard.Value;
        }));
        Assert.Equal(4 * 500, value);
        Assert.False(mutex.IsLocked);
    }

    [Fact]
    public async Task LockAsync_OutsideAnyRuntime_WorksWithPlainTasks()
    {
        var mutex = new AsyncMutex<int>(1);
        AsyncMutexGuard<int> held = await mutex.LockAsync();
        ValueTask<AsyncMutexGuard<int>> pending = mutex.LockAsync();
        Assert.False(pending.IsCompleted);
        held.Value = 2;
        held.Dispose();
        using AsyncMutexGuard<int> next = await pending.AsTask().WaitAsync(Rt.Bound);
        Assert.Equal(2, next.Value);
    }

    [Fact]
    public void LockUnlock_Uncontended_AllocatesNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var mutex = new AsyncMutex<int>(0);
        long perOp = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                using AsyncMutexGuard<int> guard = await mutex.LockAsync();
                guard.Value++;
            }
        });
        Assert.Equal(0, perOp);
    }

    [Fact]
    public void LockUnlock_ContendedHandOff_AllocatesNothingInSteadyState()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var mutex = new AsyncMutex<int>(0);
        long perOp = Allocation.BytesPerStep(runtime, async steps =>
        {
            // Two tasks alternate: each lock waits for the other's unlock (the pooled-waiter path).
            JoinHandle other = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < steps; i++)
                {
                    using AsyncMutexGuard<int> guard = await mutex.LockAsync();
                    await SpindleTask.YieldAsync();
                }
            });
            for (int i = 0; i < steps; i++)
            {
                using AsyncMutexGuard<int> guard = await mutex.LockAsync();
                await SpindleTask.YieldAsync();
            }

            await other;
        });
        Assert.Equal(0, perOp);
    }
}
