using SpindleTests.Support;

namespace SpindleTests.Synchronization;

/// <summary>OnceCell contract on both schedulers: one initializer, hand-over on failure and cancellation, TrySet, listings, allocations.</summary>
public sealed class OnceCellTests
{
    /// <summary>Spawns a task whose GetOrInitAsync runs <paramref name="body"/> as the initializer; returns once the initializer has started.</summary>
    private static async Task<JoinHandle<T>> StartInitializerAsync<T>(OnceCell<T> cell, Func<Task<T>> body)
    {
        int started = 0;
        JoinHandle<T> handle = SpindleTask.Spawn(async () => await cell.GetOrInitAsync(async () =>
        {
            Volatile.Write(ref started, 1);
            return await body();
        }));
        await Waiting.UntilAsync(() => Volatile.Read(ref started) == 1);
        return handle;
    }

    private const int RaceIterations = 100;

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetOrInitAsync_ConcurrentCallers_RunInitializerOnce(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<string>();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int runs = 0;
            Func<ValueTask<string>> init = async () =>
            {
                Interlocked.Increment(ref runs);
                await gate.Task;
                return "value";
            };
            var callers = new List<JoinHandle<string>>();
            callers.Add(SpindleTask.Spawn(async () => await cell.GetOrInitAsync(init)));
            await Waiting.UntilAsync(() => Volatile.Read(ref runs) == 1);
            for (int i = 0; i < 5; i++)
            {
                callers.Add(SpindleTask.Spawn(async () => await cell.GetOrInitAsync(init)));
            }

            await Waiting.UntilAsync(() => cell.WaiterCount == 5);
            Assert.False(cell.IsInitialized);
            gate.SetResult();
            foreach (JoinHandle<string> caller in callers)
            {
                Assert.Equal("value", await Rt.Within(caller.AsTask()));
            }

            Assert.Equal(1, runs);
            Assert.True(cell.IsInitialized);
            Assert.Equal("value", cell.Value);
            Assert.Equal(0, cell.WaiterCount);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetOrInitAsync_InitializerThrows_OnlyItsCallerSeesIt_AndTheNextWaiterInitializes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<int>();
            var failing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> first = await StartInitializerAsync(cell, async () =>
            {
                await failing.Task;
                throw new InvalidDataException("first initializer failed");
            });
            JoinHandle<int> second = SpindleTask.Spawn(async () => await cell.GetOrInitAsync(static () => ValueTask.FromResult(2)));
            await Waiting.UntilAsync(() => cell.WaiterCount == 1);
            JoinHandle<int> third = SpindleTask.Spawn(async () => await cell.GetOrInitAsync(static () => ValueTask.FromResult(3)));
            await Waiting.UntilAsync(() => cell.WaiterCount == 2);

            failing.SetResult();
            await Assert.ThrowsAsync<InvalidDataException>(() => Rt.Within(first.AsTask()));
            Assert.Equal(2, await Rt.Within(second.AsTask()));
            Assert.Equal(2, await Rt.Within(third.AsTask()));
            Assert.Equal(2, cell.Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetOrInitAsync_InitializerCancelledByItsToken_TheNextWaiterInitializes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<int>();
            using var cts = new CancellationTokenSource();
            var never = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> first = await StartInitializerAsync(cell, async () =>
            {
                return await never.Task.WaitAsync(cts.Token);
            });
            JoinHandle<int> second = SpindleTask.Spawn(async () => await cell.GetOrInitAsync(static () => ValueTask.FromResult(7)));
            await Waiting.UntilAsync(() => cell.WaiterCount == 1);

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rt.Within(first.AsTask()));
            Assert.Equal(7, await Rt.Within(second.AsTask()));
            Assert.Equal(7, cell.Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetOrInitAsync_InitializingTaskAborted_TheNextWaiterInitializes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<int>();
            var notify = new Notify();
            JoinHandle<int> first = await StartInitializerAsync(cell, async () =>
            {
                await notify.NotifiedAsync();
                return 1;
            });
            JoinHandle<int> second = SpindleTask.Spawn(async () => await cell.GetOrInitAsync(static () => ValueTask.FromResult(2)));
            await Waiting.UntilAsync(() => cell.WaiterCount == 1);

            first.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(() => Rt.Within(first.AsTask()));
            Assert.Equal(2, await Rt.Within(second.AsTask()));
            notify.NotifyOne();
            Assert.Equal(2, cell.Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetOrInitAsync_WaiterCancelled_LeavesTheQueue_AndChangesNothing(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<int>();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> first = await StartInitializerAsync(cell, async () =>
            {
                await gate.Task;
                return 1;
            });

            using var cts = new CancellationTokenSource();
            Task<int> byToken = cell.GetOrInitAsync(static () => ValueTask.FromResult(2), cts.Token).AsTask();
            JoinHandle<int> byAbort = SpindleTask.Spawn(async () => await cell.GetOrInitAsync(static () => ValueTask.FromResult(3)));
            await Waiting.UntilAsync(() => cell.WaiterCount == 2);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => byToken);
            byAbort.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(() => Rt.Within(byAbort.AsTask()));
            Assert.Equal(0, cell.WaiterCount);

            gate.SetResult();
            Assert.Equal(1, await Rt.Within(first.AsTask()));
            Assert.Equal(1, cell.Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetOrInitAsync_TurnHandedOverWhileTheWaiterIsCancelled_CellNeverStuck(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            for (int i = 0; i < RaceIterations; i++)
            {
                var cell = new OnceCell<int>();
                var failing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                JoinHandle<int> first = await StartInitializerAsync(cell, async () =>
                {
                    await failing.Task;
                    throw new InvalidDataException("first initializer failed");
                });
                using var cts = new CancellationTokenSource();
                Task<int> second = cell.GetOrInitAsync(static () => ValueTask.FromResult(2), cts.Token).AsTask();
                await Waiting.UntilAsync(() => cell.WaiterCount == 1);

                await Race.RunAsync(cts.Cancel, failing.SetResult);
                await Assert.ThrowsAsync<InvalidDataException>(() => Rt.Within(first.AsTask()));
                try
                {
                    Assert.Equal(2, await Rt.Within(second));
                    Assert.Equal(2, cell.Value);
                }
                catch (OperationCanceledException)
                {
                    // The waiter gave up (before or after it was handed the turn): the cell must be free again.
                    Assert.False(cell.IsInitialized);
                    Assert.True(cell.TrySet(3), "the turn was lost with the cancelled waiter");
                }

                Assert.Equal(0, cell.WaiterCount);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TrySet_EmptyInitializingAndSet_OnlyTheEmptyCellAccepts(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<string>();
            Assert.True(cell.TrySet("a"));
            Assert.False(cell.TrySet("b"));
            Assert.Equal("a", cell.Value);
            Assert.Equal("a", await cell.GetOrInitAsync(static () => ValueTask.FromResult("c")));

            var busy = new OnceCell<string>();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<string> initializing = await StartInitializerAsync(busy, async () =>
            {
                await gate.Task;
                return "init";
            });
            Assert.False(busy.TrySet("set"), "TrySet must refuse while an initializer runs");
            gate.SetResult();
            Assert.Equal("init", await Rt.Within(initializing.AsTask()));
            Assert.Equal("init", busy.Value);
        });
    }

    [Fact]
    public void Value_NotSet_Throws_AndTryGetReportsFalse()
    {
        var cell = new OnceCell<int>();
        Assert.False(cell.IsInitialized);
        Assert.False(cell.TryGet(out int value));
        Assert.Equal(0, value);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => cell.Value);
        Assert.Contains("GetOrInitAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Constructor_WithValue_IsInitialized_AndNeverRunsTheInitializer()
    {
        var cell = new OnceCell<int>(5);
        Assert.True(cell.IsInitialized);
        Assert.True(cell.TryGet(out int value));
        Assert.Equal(5, value);
        Assert.Equal(5, await cell.GetOrInitAsync(static () => throw new InvalidOperationException("must not run")));
        Assert.False(cell.TrySet(6));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetOrInitAsync_WithState_PassesTheStateToTheInitializer(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<int>();
            int value = await cell.GetOrInitAsync(static async s =>
            {
                await SpindleTask.YieldAsync();
                return s * 2;
            }, 21);
            Assert.Equal(42, value);
            Assert.Equal(42, await cell.GetOrInitAsync(static s => ValueTask.FromResult(s), 0));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetTasks_WaitingTask_ShowsOnceCellLeaf(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        TaskInfo info = Rt.Run(runtime, async () =>
        {
            var cell = new OnceCell<int>();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<int> initializing = cell.GetOrInitAsync(async () =>
            {
                await gate.Task;
                return 1;
            }).AsTask();
            JoinHandle<int> waiter = SpindleTask.Spawn(async () => await cell.GetOrInitAsync(static () => ValueTask.FromResult(2)), name: "waits-for-init");
            TaskInfo? found = null;
            while (found is null)
            {
                await SpindleTask.YieldAsync();
                found = runtime.Handle.GetTasks().FirstOrDefault(t => t.Id == waiter.Id && t.WaitingOn is not null);
            }

            gate.SetResult();
            Assert.Equal(1, await Rt.Within(initializing));
            Assert.Equal(1, await Rt.Within(waiter.AsTask()));
            return found;
        });
        Assert.Equal("oncecell", info.WaitingOn!.Kind);
        Assert.Equal("initializing, 1 waiting", info.WaitingOn.Resource);
        Assert.EndsWith("OnceCellTests.cs", info.WaitingOn.CallerFilePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrInitAsync_OutsideRuntime_WorksWithPlainTasks()
    {
        var cell = new OnceCell<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int runs = 0;
        Func<ValueTask<int>> init = async () =>
        {
            Interlocked.Increment(ref runs);
            await gate.Task;
            return 9;
        };
        Task<int> first = cell.GetOrInitAsync(init).AsTask();
        Task<int>[] others = Enumerable.Range(0, 3).Select(_ => cell.GetOrInitAsync(init).AsTask()).ToArray();
        Assert.Equal(3, cell.WaiterCount);
        gate.SetResult();
        Assert.Equal(9, await Rt.Within(first));
        Assert.All(await Rt.Within(Task.WhenAll(others)), v => Assert.Equal(9, v));
        Assert.Equal(1, runs);
    }

    [Fact]
    public void GetOrInitAsync_AlreadySet_AllocatesNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var cell = new OnceCell<string>("set");
        long perCall = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await cell.GetOrInitAsync(static () => ValueTask.FromResult("other"));
                await cell.GetOrInitAsync(static s => ValueTask.FromResult(s), "other");
            }
        });
        Assert.Equal(0, perCall);
    }

    [Fact]
    public void GetOrInitAsync_NullInitializer_ThrowsAndLeavesTheCellUsable()
    {
        var cell = new OnceCell<int>();
        Assert.Throws<ArgumentNullException>(() => cell.GetOrInitAsync(null!));
        Assert.Throws<ArgumentNullException>(() => cell.GetOrInitAsync<int>(null!, 1));
        Assert.False(cell.IsInitialized);
        Assert.True(cell.TrySet(5));
        Assert.Equal(5, cell.Value);
    }
}
