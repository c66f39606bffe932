using System.Runtime.CompilerServices;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>
/// Every shape of task root (Task, Task&lt;T&gt;, ValueTask and ValueTask&lt;T&gt; backed by a Task
/// or by a pooled source), completing during a poll or on a foreign thread, delivers its outcome
/// once; and a spawn stays one small object.
/// </summary>
public sealed class TaskRootTests
{
    private static readonly Task<int> s_sevenTask = Task.FromResult(7);
    private static readonly Func<Task<int>> s_seven = () => s_sevenTask;
    private static readonly Func<Task> s_noop = () => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void PooledValueTaskRoots_Suspend_ResultAndFailureArrive(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        (int Value, string Message, bool VoidRan) outcome = Rt.Run(runtime, async () =>
        {
            bool voidRan = false;
            JoinHandle<int> value = runtime.Handle.Spawn(() => PooledValueAsync(20));
            JoinHandle<int> failing = runtime.Handle.Spawn(() => PooledFailingAsync());
            JoinHandle untyped = runtime.Handle.Spawn(() => PooledVoidAsync(() => voidRan = true));
            int v = await value;
            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await failing);
            await untyped;
            return (v, error.Message, voidRan);
        });
        Assert.Equal(21, outcome.Value);
        Assert.Equal("pooled root failed", outcome.Message);
        Assert.True(outcome.VoidRan);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ValueTaskRoots_CompletedOnForeignThread_ResultArrives(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        (int Typed, bool UntypedDone) outcome = Rt.Run(runtime, async () =>
        {
            var typedGate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var untypedGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // ConfigureAwait(false) lets the root finish on the thread that completes the gate.
            JoinHandle<int> typed = runtime.Handle.Spawn(async ValueTask<int> () => await typedGate.Task.ConfigureAwait(false) + 1);
            JoinHandle untyped = runtime.Handle.Spawn(async ValueTask () => await untypedGate.Task.ConfigureAwait(false));
            // A ValueTask backed directly by a Task (not an async method's box).
            JoinHandle<int> direct = runtime.Handle.Spawn(() => new ValueTask<int>(typedGate.Task));
            await SpindleTask.YieldAsync();
            _ = Task.Run(() =>
            {
                typedGate.SetResult(41);
                untypedGate.SetResult();
            });
            int a = await typed;
            await untyped;
            int b = await direct;
            Assert.Equal(41, b);
            return (a, untyped.IsFinished);
        });
        Assert.Equal(42, outcome.Typed);
        Assert.True(outcome.UntypedDone);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TaskRoots_FinishedWhenReturned_DeliverEveryOutcome(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        bool untypedRan = false;
        (int Value, string Fault, Type Cancelled, bool UntypedDone) outcome = Rt.Run(runtime, async () =>
        {
            // Roots that are already finished when the spawned delegate returns them, one per outcome.
            JoinHandle<int> value = runtime.Handle.Spawn(() => Task.FromResult(7));
            JoinHandle untyped = runtime.Handle.Spawn(() =>
            {
                untypedRan = true;
                return Task.CompletedTask;
            });
            JoinHandle<int> faulted = runtime.Handle.Spawn(() => Task.FromException<int>(new InvalidOperationException("finished faulted")));
            JoinHandle cancelled = runtime.Handle.Spawn(() => Task.FromCanceled(new CancellationToken(canceled: true)));
            int v = await value;
            await untyped;
            var fault = await Assert.ThrowsAsync<InvalidOperationException>(async () => await faulted);
            var cancel = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            return (v, fault.Message, cancel.GetType(), untyped.IsFinished);
        });
        Assert.Equal(7, outcome.Value);
        Assert.True(untypedRan);
        Assert.True(outcome.UntypedDone);
        Assert.Equal("finished faulted", outcome.Fault);
        // A root cancelled by its own token is a failure of the task, not an abort.
        Assert.Equal(typeof(TaskCanceledException), outcome.Cancelled);
    }

    [Fact]
    public void SpawnAndJoin_AllocatesOneSmallObjectPerTask()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long untyped = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await SpindleTask.Spawn(s_noop);
            }
        });
        long typed = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                _ = await SpindleTask.Spawn(s_seven);
            }
        });
        // The task object, on 64-bit: 160 bytes for a task without a result or with one of up to 4
        // bytes (360 before the rarely used state moved to a lazily allocated side object, 208 before
        // the join location went there too, 200 before the outcome and the root's kind and token
        // went into the state words, 192 before the poll count and time went to 32 bits and a JoinSet
        // member's set into the join-target slot, 176 before the pending queue's spill moved to the
        // extras, 168 before the spawn location became one shared site). The spawn site is cached, so
        // a spawn from the same place allocates nothing else. A byte more in its fields would make it 168.
        Assert.InRange(untyped, 1, 160);
        Assert.InRange(typed, 1, 160);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> PooledValueAsync(int value)
    {
        await SpindleTask.YieldAsync();
        await SpindleTask.YieldAsync();
        return value + 1;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> PooledFailingAsync()
    {
        await SpindleTask.YieldAsync();
        throw new InvalidOperationException("pooled root failed");
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask PooledVoidAsync(Action ran)
    {
        await SpindleTask.YieldAsync();
        ran();
    }
}
