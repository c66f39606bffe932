using SpindleTests.Support;

namespace SpindleTests.Scheduling;

public sealed class JoinSetTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void JoinNext_ReturnsInCompletionOrder_ThenNull(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        var trace = new System.Collections.Concurrent.ConcurrentQueue<string>();
        List<int> order = Rt.Run(runtime, async () =>
        {
            using var set = new JoinSet<int>();
            Instant start = Instant.Now;
            foreach (int ms in new[] { 30, 10, 20 })
            {
                set.Spawn(async () =>
                {
                    trace.Enqueue($"{ms}: start at +{(Instant.Now - start).TotalMilliseconds} on {Environment.CurrentManagedThreadId}");
                    await Time.SleepAsync(TimeSpan.FromMilliseconds(ms));
                    trace.Enqueue($"{ms}: woke at +{(Instant.Now - start).TotalMilliseconds} on {Environment.CurrentManagedThreadId} task {SpindleTask.CurrentId}");
                    return ms;
                });
            }

            Assert.Equal(3, set.Count);
            var seen = new List<int>();
            while (await set.JoinNextAsync() is { } done)
            {
                seen.Add(done.Value);
            }

            Assert.True(set.IsEmpty);
            return seen;
        });
        Assert.True(order.SequenceEqual(new[] { 10, 20, 30 }), $"order {string.Join(",", order)}; trace: {string.Join(" | ", trace)}");
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void JoinNext_FaultedAndAborted_AreReportedNotThrown(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            using var set = new JoinSet<int>();
            set.Spawn(async () =>
            {
                await SpindleTask.YieldAsync();
                throw new InvalidDataException("bad");
            });
            JoinResult<int>? faulted = await set.JoinNextAsync();
            Assert.True(faulted!.Value.IsFaulted);
            Assert.IsType<InvalidDataException>(faulted.Value.Exception);
            Assert.Throws<InvalidDataException>(() => faulted.Value.Value);

            set.Spawn(async () =>
            {
                await Time.SleepAsync(TimeSpan.FromHours(1));
                return 1;
            });
            await SpindleTask.YieldAsync();
            set.AbortAll();
            JoinResult<int>? aborted = await set.JoinNextAsync();
            Assert.True(aborted!.Value.IsAborted);
            Assert.Throws<TaskAbortedException>(() => aborted.Value.Value);
            Assert.Null(await set.JoinNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Dispose_AbortsRemainingTasks(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        int cleanedUp = 0;
        Rt.Run(runtime, async () =>
        {
            var set = new JoinSet<int>();
            var started = new CountdownEvent(5);
            for (int i = 0; i < 5; i++)
            {
                set.Spawn(async () =>
                {
                    try
                    {
                        started.Signal();
                        await Time.SleepAsync(TimeSpan.FromHours(1));
                        return 0;
                    }
                    finally
                    {
                        Interlocked.Increment(ref cleanedUp);
                    }
                });
            }

            while (started.CurrentCount > 0)
            {
                await SpindleTask.YieldAsync();
            }

            set.Dispose();
            while (Volatile.Read(ref cleanedUp) < 5)
            {
                await SpindleTask.YieldAsync();
            }
        });
        Assert.Equal(5, cleanedUp);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void JoinNext_Cancelled_LosesNoResult(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            using var set = new JoinSet<int>();
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            set.Spawn(async () =>
            {
                await release.Task;
                return 5;
            });
            using var cts = new CancellationTokenSource();
            ValueTask<JoinResult<int>?> pending = set.JoinNextAsync(cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            release.SetResult();
            JoinResult<int>? result = await set.JoinNextAsync();
            Assert.Equal(5, result!.Value.Value);
        });
    }

    [Fact]
    public void TryJoinNext_EmptySet_ReturnsFalse()
    {
        using var set = new JoinSet<int>();
        Assert.False(set.TryJoinNext(out _));
    }

    /// <summary>
    /// Regression: a task's completion used to reach the runtime through a thread-pool hop (the BCL
    /// does not inline continuations under a SynchronizationContext), so the paused clock could
    /// advance past later timers first and completions were observed out of order.
    /// </summary>
    [Fact]
    public void CompletionOrder_ManyRounds_IsNeverReordered()
    {
        for (int round = 0; round < 300; round++)
        {
            using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
            List<(int Value, TimeSpan At)> taken = Rt.Run(runtime, async () =>
            {
                using var set = new JoinSet<int>();
                Instant start = Instant.Now;
                foreach (int ms in new[] { 30, 10, 20 })
                {
                    set.Spawn(async () =>
                    {
                        await Time.SleepAsync(TimeSpan.FromMilliseconds(ms));
                        return ms;
                    });
                }

                var seen = new List<(int, TimeSpan)>();
                while (await set.JoinNextAsync() is { } done)
                {
                    seen.Add((done.Value, Instant.Now - start));
                }

                return seen;
            });
            Assert.Equal(new[] { (10, TimeSpan.FromMilliseconds(10)), (20, TimeSpan.FromMilliseconds(20)), (30, TimeSpan.FromMilliseconds(30)) }, taken);
        }
    }

    [Fact]
    public void JoinNext_CompletionRacingASynchronousTake_NeverEndsTheNextWaitEmpty()
    {
        // A task finishing on one worker queues itself in the set and then completes the set's wait,
        // outside the set's lock. The joiner can take it synchronously in between and start its next
        // wait, which that late completion used to end with null while the other task still ran.
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        int rounds = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long" ? 50_000 : 5_000;
        Rt.Run(runtime, async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                using var set = new JoinSet<int>();
                // A hop through the thread pool: the tasks come back through the inject queue, so
                // either worker may finish them while the joiner runs on the other.
                set.Spawn(async () => { await Task.Run(static () => { }); return 1; });
                set.Spawn(async () => { await Task.Run(static () => { }); return 2; });
                int joined = 0;
                while (await set.JoinNextAsync() is not null)
                {
                    joined++;
                }

                Assert.True(joined == 2, $"round {round}: JoinNextAsync returned null after {joined} of 2 tasks");
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Dispose_FailuresNeverJoined_AreReportedAsUnobserved(RuntimeFlavor flavor)
    {
        var unobserved = new List<string>();
        using Runtime runtime = Rt.Build(flavor, configure: b => b.OnUnobservedTaskException(info =>
        {
            lock (unobserved)
            {
                unobserved.Add(info.Exception.Message);
            }
        }));
        Rt.Run(runtime, async () =>
        {
            var set = new JoinSet<int>();
            long before = set.Spawn(() => Task.FromException<int>(new InvalidOperationException("failed before the dispose")));
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            long during = set.Spawn(async () =>
            {
                try
                {
                    await Time.SleepAsync(TimeSpan.FromHours(1));
                }
                catch (OperationCanceledException)
                {
                    // Aborted by the dispose: it fails while unwinding.
                }

                await gate.Task;
                throw new InvalidOperationException("failed while unwinding");
            });
            long fine = set.Spawn(() => Task.FromResult(3));
            bool Finished(long id) => runtime.Handle.GetTasks().All(t => t.Id != id);
            await Waiting.UntilAsync(() => Finished(before) && Finished(fine));
            await Waiting.UntilParkedOnAsync(runtime, during, "sleep");
            set.Dispose();
            gate.SetResult();
            // The report comes from the task's completion, after it has left the registry.
            await Waiting.UntilAsync(() =>
            {
                lock (unobserved)
                {
                    return unobserved.Count == 2;
                }
            });
            Assert.True(Finished(during));
        });
        lock (unobserved)
        {
            Assert.Equal(["failed before the dispose", "failed while unwinding"], unobserved.Order());
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Dispose_WhileAJoinWaits_TheJoinEndsWithNull_AsDoLaterOnes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var set = new JoinSet<int>();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            set.Spawn(async () =>
            {
                try
                {
                    await Time.SleepAsync(TimeSpan.FromHours(1));
                }
                catch (OperationCanceledException)
                {
                    // Aborted by the dispose: it takes its time to unwind.
                }

                await gate.Task;
                return 1;
            });
            JoinHandle<JoinResult<int>?> joiner = SpindleTask.Spawn(async () => await set.JoinNextAsync());
            await Waiting.UntilParkedOnAsync(runtime, joiner.Id, "join set");
            set.Dispose();
            Assert.Null(await Rt.Within(joiner.AsTask()));
            Assert.Null(await set.JoinNextAsync());
            gate.SetResult();
        });
    }
}
