using Spindle.Scheduling;
using Spindle.Time;
using SpindleTests.Support;

namespace SpindleTests.Timers;

/// <summary>
/// An expired timeout scope finds the waits it covers under the task's lock and ends them outside it.
/// These tests hold a scope's cancellation between those two steps (as a preempted timer thread
/// would) while the wait it found finishes by itself, and check that the late call cannot end the
/// task's next wait, made outside the scope.
/// </summary>
public sealed class ScopeCancelTests
{
    public static TheoryData<string> Leaves => new() { "mpsc", "semaphore" };

    [Theory]
    [MemberData(nameof(Leaves))]
    public void LateScopeCancel_DoesNotEndTheNextWaitOutsideTheScope(string leaf)
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var (tx, rx) = Mpsc.Unbounded<int>();
        var first = new AsyncSemaphore(0);
        var second = new AsyncSemaphore(0);
        TaskCore? core = null;
        TimeoutScope? scope = null;
        int stage = 0;

        // Both waits of a semaphore task use the same pooled waiter: the worker's free list hands it back.
        JoinHandle<int> handle = runtime.Spawn(async () =>
        {
            core = TaskCore.Current;
            int a = await Time.TimeoutAsync(TimeSpan.FromHours(1), async _ =>
            {
                scope = TimeoutScope.Current;
                return leaf == "mpsc" ? (await rx.RecvAsync()).Value : (await first.AcquireAsync()).Count;
            });
            Volatile.Write(ref stage, 1);
            int b = leaf == "mpsc" ? (await rx.RecvAsync()).Value : (await second.AcquireAsync()).Count;
            return a + b;
        });

        WaitUntil(() => ParkedOnce(runtime, handle.Id), "the task to wait inside its scope");
        TaskCore.LeafSnapshot snapshot = core!.SnapshotLeaves(scope);
        Assert.NotNull(snapshot.Single);

        // The wait the scope found finishes by itself while the scope's cancel call is still to come.
        Release(leaf, tx, first, 1);
        WaitUntil(
            () => Volatile.Read(ref core.Extras.ResumesHeld) > 0 || (Volatile.Read(ref stage) == 1 && ParkedOnce(runtime, handle.Id)),
            "the task to be held at its resumption, or to reach its next wait");
        core.CancelSnapshot(snapshot, new OperationCanceledException("a late cancel of the scope"));

        Release(leaf, tx, second, 2);
        // Two messages 1 + 2, or a permit from each semaphore.
        Assert.Equal(leaf == "mpsc" ? 3 : 2, Rt.Within(handle.AsTask()).GetAwaiter().GetResult());
    }

    [Fact]
    public void LateScopeCancel_DoesNotEndAJoinOfTheSameHandleMadeAfterACancelledOne()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var gate = new AsyncSemaphore(0);
        TaskCore? core = null;
        TimeoutScope? scope = null;
        int stage = 0;
        JoinHandle<int> target = runtime.Spawn(async () => (await gate.AcquireAsync()).Count * 5);

        JoinHandle<int> handle = runtime.Spawn(async () =>
        {
            core = TaskCore.Current;
            try
            {
                await Time.TimeoutAsync(TimeSpan.FromHours(1), async _ =>
                {
                    scope = TimeoutScope.Current;
                    return await target;
                });
            }
            catch (OperationCanceledException)
            {
                // Ended by the first cancel below; the handle is still running, so join it again.
            }

            Volatile.Write(ref stage, 1);
            return await target;
        });

        WaitUntil(() => ParkedOnce(runtime, handle.Id), "the task to join inside its scope");
        TaskCore.LeafSnapshot late = core!.SnapshotLeaves(scope);
        TaskCore.LeafSnapshot early = core.SnapshotLeaves(scope);
        Assert.NotNull(late.Single);
        core.CancelSnapshot(early, new OperationCanceledException("the first cancel"));
        WaitUntil(
            () => Volatile.Read(ref core.Extras.ResumesHeld) > 0 || (Volatile.Read(ref stage) == 1 && ParkedOnce(runtime, handle.Id)),
            "the task to be held at its resumption, or to join again");
        core.CancelSnapshot(late, new OperationCanceledException("a late cancel of the scope"));

        gate.AddPermits(1);
        Assert.Equal(5, Rt.Within(handle.AsTask()).GetAwaiter().GetResult());
    }

    private static void Release(string leaf, UnboundedSender<int> tx, AsyncSemaphore semaphore, int value)
    {
        if (leaf == "mpsc")
        {
            Assert.True(tx.Send(value));
        }
        else
        {
            semaphore.AddPermits(value);
        }
    }

    private static bool ParkedOnce(Runtime runtime, long id) =>
        runtime.Handle.GetTasks().Any(t => t.Id == id && t.State == TaskState.Idle && t.WaitingOn is not null);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, Rt.Bound))
        {
            throw new TimeoutException($"waited {Rt.Bound} for {what}");
        }
    }
}
