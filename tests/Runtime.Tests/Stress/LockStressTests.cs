using SpindleTests.Support;

namespace SpindleTests.Stress;

/// <summary>
/// Mutual exclusion under contention with random aborts and cancellations: the lock is never held
/// twice, and when the dust settles no permit is lost or leaked. Short form by default;
/// <c>SPINDLE_STRESS=long</c> for more tasks and rounds.
/// </summary>
[Trait("Category", "Stress")]
public sealed class LockStressTests
{
    private static readonly bool s_long = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long";

    private static int Scale(int shortCount, int longCount) => s_long ? longCount : shortCount;

    [Fact]
    public void Mutex_ContendedWithRandomAborts_NeverHeldTwiceAndEndsUnlocked()
    {
        int rounds = Scale(300, 5_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var mutex = new AsyncMutex<int>(0);
        int inside = 0;
        int violations = 0;
        long completed = 0;
        Rt.Run(runtime, async () =>
        {
            var random = new Random(7);
            for (int round = 0; round < rounds / 20; round++)
            {
                var workers = new List<JoinHandle>();
                for (int t = 0; t < 8; t++)
                {
                    workers.Add(SpindleTask.Spawn(async () =>
                    {
                        for (int i = 0; i < 20; i++)
                        {
                            using AsyncMutexGuard<int> guard = await mutex.LockAsync();
                            if (Interlocked.Increment(ref inside) != 1)
                            {
                                Interlocked.Increment(ref violations);
                            }

                            try
                            {
                                await SpindleTask.YieldAsync();
                                guard.Value++;
                                Interlocked.Increment(ref completed);
                            }
                            finally
                            {
                                Interlocked.Decrement(ref inside);
                            }
                        }
                    }));
                }

                // Abort a few workers at random points: while waiting, while holding, or after finishing.
                for (int k = 0; k < 3; k++)
                {
                    await SpindleTask.YieldAsync();
                    workers[random.Next(workers.Count)].Abort();
                }

                foreach (JoinHandle worker in workers)
                {
                    try
                    {
                        await worker;
                    }
                    catch (TaskAbortedException)
                    {
                    }
                }
            }
        });

        Assert.Equal(0, violations);
        Assert.False(mutex.IsLocked);
        Assert.True(mutex.TryLock(out AsyncMutexGuard<int> guard));
        // Every completed critical section incremented exactly once; aborted ones may have been cut
        // after the increment but before counting, never the other way round.
        Assert.InRange(guard.Value, Volatile.Read(ref completed), Volatile.Read(ref completed) + rounds);
        guard.Dispose();
    }

    [Fact]
    public void Semaphore_ManyPermitsWithCancellations_NeverOversubscribedAndAllPermitsReturn()
    {
        int rounds = Scale(200, 4_000);
        const int Permits = 3;
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var semaphore = new AsyncSemaphore(Permits);
        int inUse = 0;
        int violations = 0;
        Rt.Run(runtime, async () =>
        {
            var set = new JoinSet<int>();
            for (int t = 0; t < 12; t++)
            {
                int seed = t;
                set.Spawn(async () =>
                {
                    var random = new Random(seed);
                    int cancelled = 0;
                    for (int i = 0; i < rounds; i++)
                    {
                        int want = 1 + random.Next(Permits);
                        using var cts = new CancellationTokenSource();
                        ValueTask<SemaphorePermit> acquire = semaphore.AcquireManyAsync(want, cts.Token);
                        if (random.Next(4) == 0)
                        {
                            cts.Cancel();
                        }

                        SemaphorePermit permit;
                        try
                        {
                            permit = await acquire;
                        }
                        catch (OperationCanceledException)
                        {
                            cancelled++;
                            continue;
                        }

                        using (permit)
                        {
                            if (Interlocked.Add(ref inUse, want) > Permits)
                            {
                                Interlocked.Increment(ref violations);
                            }

                            try
                            {
                                await SpindleTask.YieldAsync();
                            }
                            finally
                            {
                                Interlocked.Add(ref inUse, -want);
                            }
                        }
                    }

                    return cancelled;
                });
            }

            while (await set.JoinNextAsync() is { } result)
            {
                _ = result.Value;
            }
        });

        Assert.Equal(0, violations);
        Assert.Equal(Permits, semaphore.AvailablePermits);
    }
}
