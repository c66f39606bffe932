using System.Threading.Channels;
using SpindleTests.Support;

namespace SpindleTests.Synchronization;

/// <summary>Watch channel contract on both schedulers: versions, borrows, waits, modifications, close, leaf behaviour.</summary>
public sealed class WatchTests
{
    private struct Point
    {
        public int X;
        public int Y;
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ChangedAsync_AfterSend_ReturnsTrueAndMarksTheVersionSeen(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create("a");
            using WatchSender<string> sender = tx;
            using WatchReceiver<string> receiver = rx;
            Assert.False(rx.HasChanged);
            Assert.Equal("a", rx.Borrow().Value);
            JoinHandle<string> waiter = SpindleTask.Spawn(async () =>
            {
                Assert.True(await rx.ChangedAsync());
                return rx.Borrow().Value;
            });
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            Assert.True(tx.Send("b"));
            Assert.Equal("b", await waiter);
            Assert.False(rx.HasChanged);
            Assert.False(rx.Borrow().HasChanged);

            // Several sends between two waits: one change, the latest value.
            tx.Send("c");
            tx.Send("d");
            Assert.True(rx.HasChanged);
            Assert.True(await rx.ChangedAsync());
            Assert.Equal("d", rx.Borrow().Value);
            Assert.False(rx.HasChanged);
        });
    }

    [Fact]
    public void Borrow_AndBorrowAndUpdate_ReportAndMarkTheChange()
    {
        var (tx, rx) = Watch.Create(1);
        tx.Send(2);
        WatchRef<int> peek = rx.Borrow();
        Assert.Equal(2, peek.Value);
        Assert.True(peek.HasChanged);
        Assert.True(rx.HasChanged);
        WatchRef<int> taken = rx.BorrowAndUpdate();
        Assert.Equal(2, taken.Value);
        Assert.True(taken.HasChanged);
        Assert.False(rx.HasChanged);
        Assert.False(rx.BorrowAndUpdate().HasChanged);
        WatchRef<int> fromSender = tx.Borrow();
        Assert.Equal(2, fromSender.Value);
        Assert.False(fromSender.HasChanged);
        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public void Borrow_ReferenceType_ReturnsTheStoredInstanceWithoutCopying()
    {
        var first = new List<int> { 1 };
        var (tx, rx) = Watch.Create(first);
        Assert.Same(first, rx.Borrow().Value);
        var second = new List<int> { 2 };
        Assert.Same(first, tx.SendReplace(second));
        Assert.Same(second, rx.BorrowAndUpdate().Value);
        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public void MarkChangedAndMarkUnchanged_SetTheSeenState()
    {
        var (tx, rx) = Watch.Create(0);
        rx.MarkChanged();
        Assert.True(rx.HasChanged);
        Task<bool> changed = rx.ChangedAsync().AsTask();
        Assert.True(changed.IsCompletedSuccessfully, "a pending change completes synchronously");
        Assert.True(changed.Result);
        Assert.False(rx.HasChanged);
        tx.Send(1);
        rx.MarkUnchanged();
        Assert.False(rx.HasChanged);
        Assert.Equal(1, rx.Borrow().Value);
        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public void SubscribeAndClone_StartFromTheRightVersion()
    {
        var (tx, rx) = Watch.Create(0);
        tx.Send(1);
        using WatchReceiver<int> subscribed = tx.Subscribe();
        using WatchReceiver<int> clone = rx.Clone();
        Assert.False(subscribed.HasChanged);
        Assert.True(clone.HasChanged);
        Assert.Equal(3, tx.ReceiverCount);
        rx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rx.Clone());
        Assert.Throws<ObjectDisposedException>(() => rx.Borrow());
        Assert.Equal(2, tx.ReceiverCount);
        tx.Dispose();
    }

    [Fact]
    public void Send_WithoutReceivers_FailsAndDoesNotStore_SendReplaceStores()
    {
        var (tx, rx) = Watch.Create(1);
        rx.Dispose();
        Assert.True(tx.IsClosed);
        Assert.False(tx.Send(2));
        Assert.Equal(1, tx.Borrow().Value);
        Assert.Equal(1, tx.SendReplace(3));
        Assert.Equal(3, tx.Borrow().Value);
        tx.SendModify(static (ref int v) => v++);
        Assert.Equal(4, tx.Borrow().Value);
        using WatchReceiver<int> reopened = tx.Subscribe();
        Assert.False(tx.IsClosed);
        Assert.True(tx.Send(5));
        Assert.True(reopened.HasChanged);
        tx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tx.Send(6));
        Assert.Throws<ObjectDisposedException>(() => tx.Subscribe());
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SendModifyAndSendIfModified_NotifyOnlyWhenModified(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(new Point { X = 1, Y = 1 });
            using WatchSender<Point> sender = tx;
            using WatchReceiver<Point> receiver = rx;
            Assert.False(tx.SendIfModified(static (ref Point p) =>
            {
                p.X = 99;
                return false;
            }));
            Assert.False(rx.HasChanged);
            Assert.Equal(1, rx.Borrow().Value.X);

            using var cts = new CancellationTokenSource();
            JoinHandle<Point> waiter = SpindleTask.Spawn(async () =>
            {
                Assert.True(await rx.ChangedAsync());
                return rx.Borrow().Value;
            });
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            Assert.True(tx.SendIfModified(static (ref Point p) =>
            {
                p.Y = 5;
                return true;
            }));
            Assert.Equal(5, (await waiter).Y);

            tx.SendModify(static (ref Point p) => p.X = 7);
            Assert.True(await rx.ChangedAsync());
            Assert.Equal(new Point { X = 7, Y = 5 }, rx.Borrow().Value);

            Assert.Throws<InvalidTimeZoneException>(() => tx.SendModify(static (ref Point p) =>
            {
                p.X = -1;
                throw new InvalidTimeZoneException();
            }));
            Assert.False(rx.HasChanged);
            Assert.Equal(7, rx.Borrow().Value.X);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SenderDisposed_ReceiverSeesFinalValueThenFalse(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchReceiver<int> receiver = rx;
            using WatchReceiver<int> idle = rx.Clone();
            JoinHandle<bool> waiter = SpindleTask.Spawn(async () => await idle.ChangedAsync());
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            tx.Send(9);
            tx.Dispose();
            Assert.True(await waiter);
            Assert.False(await idle.ChangedAsync());
            Assert.True(rx.IsClosed);
            Assert.True(rx.HasChanged);
            Assert.True(await rx.ChangedAsync());
            Assert.Equal(9, rx.Borrow().Value);
            Assert.False(await rx.ChangedAsync());
            Assert.False(await rx.ChangedAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SenderDisposed_WhileReceiverWaits_WakesItWithFalse(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchReceiver<int> receiver = rx;
            JoinHandle<bool> waiter = SpindleTask.Spawn(async () => await rx.ChangedAsync());
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            tx.Dispose();
            Assert.False(await waiter);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitForAsync_MatchesCurrentOrLaterValue_ThrowsWhenClosedFirst(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(3);
            using WatchReceiver<int> receiver = rx;
            Assert.Equal(3, await rx.WaitForAsync(static v => v == 3));

            JoinHandle<int> waiter = SpindleTask.Spawn(async () => await rx.WaitForAsync(static v => v >= 10));
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            tx.Send(5);
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            tx.Send(12);
            Assert.Equal(12, await waiter);
            Assert.False(rx.HasChanged);

            // A final value not yet seen is still tested after the sender is gone.
            using WatchReceiver<int> late = rx.Clone();
            tx.Send(20);
            tx.Dispose();
            Assert.Equal(20, await late.WaitForAsync(static v => v == 20));
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await rx.WaitForAsync(static v => v == 21));
            // As tokio's wait_for: the current value is tested once even when seen and the sender is gone.
            Assert.Equal(20, await late.WaitForAsync(static v => v == 20));
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await late.WaitForAsync(static v => v == 21));
            var (gone, seen) = Watch.Create(5);
            gone.Dispose();
            using (seen)
            {
                Assert.Equal(5, await seen.WaitForAsync(static v => v == 5));
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WaitForAsync_SenderDisposedWhileWaiting_Throws(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchReceiver<int> receiver = rx;
            JoinHandle waiter = SpindleTask.Spawn(async () =>
                await Assert.ThrowsAsync<ChannelClosedException>(async () => await rx.WaitForAsync(static v => v > 100)));
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            tx.Send(1);
            tx.Dispose();
            await waiter;
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ChangedAsync_CancelledByTokenOrAbort_MarksNothingSeen(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchSender<int> sender = tx;
            using WatchReceiver<int> receiver = rx;
            using var cts = new CancellationTokenSource();
            JoinHandle byToken = SpindleTask.Spawn(async () =>
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await rx.ChangedAsync(cts.Token)));
            await Waiting.UntilParkedOnAsync(runtime, byToken.Id, "watch.changed");
            cts.Cancel();
            await byToken;

            JoinHandle aborted = SpindleTask.Spawn(async () => await rx.ChangedAsync());
            TaskInfo parked = await Waiting.UntilParkedOnAsync(runtime, aborted.Id, "watch.changed");
            Assert.EndsWith("WatchTests.cs", parked.WaitingOn!.CallerFilePath, StringComparison.Ordinal);
            Assert.Contains("seen version 0", parked.WaitingOn.Resource, StringComparison.Ordinal);
            aborted.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await aborted);

            tx.Send(1);
            Assert.True(rx.HasChanged);
            Assert.True(await rx.ChangedAsync());
            Assert.Equal(1, rx.Borrow().Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReceiverMutators_WhileAWaitIsPending_Throw(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchSender<int> sender = tx;
            using WatchReceiver<int> receiver = rx;
            Task<bool> pending = rx.ChangedAsync().AsTask();
            Assert.Throws<InvalidOperationException>(() => { _ = rx.ChangedAsync().AsTask(); });
            Assert.Throws<InvalidOperationException>(() => rx.BorrowAndUpdate());
            Assert.Throws<InvalidOperationException>(() => rx.MarkUnchanged());
            Assert.Throws<InvalidOperationException>(() => rx.MarkChanged());
            Assert.Equal(0, rx.Borrow().Value);
            tx.Send(1);
            Assert.True(await Rt.Within(pending));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReceiverDisposed_WhileWaiting_EndsTheWaitWithFalse(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchSender<int> sender = tx;
            JoinHandle<bool> waiter = SpindleTask.Spawn(async () => await rx.ChangedAsync());
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.changed");
            rx.Dispose();
            rx.Dispose();
            Assert.False(await waiter);
            Assert.Equal(0, tx.ReceiverCount);
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await rx.ChangedAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ClosedAsync_CompletesWhenTheLastReceiverIsGone(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchSender<int> sender = tx;
            WatchReceiver<int> second = rx.Clone();
            using var cts = new CancellationTokenSource();
            JoinHandle cancelled = SpindleTask.Spawn(async () =>
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await tx.ClosedAsync(cts.Token)));
            TaskInfo parked = await Waiting.UntilParkedOnAsync(runtime, cancelled.Id, "watch.closed");
            Assert.Equal("2 receivers left", parked.WaitingOn!.Resource);
            cts.Cancel();
            await cancelled;

            JoinHandle first = SpindleTask.Spawn(async () => await tx.ClosedAsync());
            JoinHandle other = SpindleTask.Spawn(async () => await tx.ClosedAsync());
            await Waiting.UntilParkedOnAsync(runtime, first.Id, "watch.closed");
            await Waiting.UntilParkedOnAsync(runtime, other.Id, "watch.closed");
            rx.Dispose();
            Assert.False(first.IsFinished);
            second.Dispose();
            await first;
            await other;
            Assert.True(tx.IsClosed);
            await tx.ClosedAsync();
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ClosedAsync_SenderDisposedWhileWaiting_Completes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchReceiver<int> receiver = rx;
            JoinHandle waiter = SpindleTask.Spawn(async () => await tx.ClosedAsync());
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "watch.closed");
            tx.Dispose();
            await waiter;
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await tx.ClosedAsync());
        });
    }

    [Fact]
    public async Task ChangedAsync_OutsideAnyRuntime_PlainTaskAwaitWorks()
    {
        var (tx, rx) = Watch.Create("x");
        using WatchReceiver<string> receiver = rx;
        Task<bool> pending = rx.ChangedAsync().AsTask();
        Assert.False(pending.IsCompleted);
        tx.Send("y");
        Assert.True(await Rt.Within(pending));
        Assert.Equal("y", rx.Borrow().Value);
        Task<string> match = rx.WaitForAsync(static s => s == "z").AsTask();
        tx.Send("z");
        Assert.Equal("z", await Rt.Within(match));
        tx.Dispose();
        Assert.False(await rx.ChangedAsync());
    }

    [Fact]
    public void CoopBudget_ReceiverLoopingOnReadyChanges_GivesOthersATurn()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        int iterationsWhenOtherRan = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchSender<int> sender = tx;
            using WatchReceiver<int> receiver = rx;
            int iterations = 0;
            int seenByOther = -1;
            JoinHandle other = SpindleTask.Spawn(() =>
            {
                seenByOther = Volatile.Read(ref iterations);
                return Task.CompletedTask;
            });
            for (; iterations < 1000 && seenByOther < 0; iterations++)
            {
                // Always a newer version: only the budget makes this loop give way.
                rx.MarkChanged();
                Assert.True(await rx.ChangedAsync());
            }

            await other;
            return seenByOther;
        });
        Assert.InRange(iterationsWhenOtherRan, 0, 2 * 128);
    }

    [Fact]
    public void CoopBudget_WaitForLoopingOnAMatch_GivesOthersATurn()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        int iterationsWhenOtherRan = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(0);
            using WatchSender<int> sender = tx;
            using WatchReceiver<int> receiver = rx;
            int iterations = 0;
            int seenByOther = -1;
            JoinHandle other = SpindleTask.Spawn(() =>
            {
                seenByOther = Volatile.Read(ref iterations);
                return Task.CompletedTask;
            });
            for (; iterations < 1000 && seenByOther < 0; iterations++)
            {
                Assert.Equal(0, await rx.WaitForAsync(static v => v == 0));
            }

            await other;
            return seenByOther;
        });
        Assert.InRange(iterationsWhenOtherRan, 0, 2 * 128);
    }

    [Fact]
    public void SendAndChanged_SteadyState_AllocateNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var (tx, rx) = Watch.Create(0);
        WatchReceiver<int> second = tx.Subscribe();
        long perStep = Allocation.BytesPerStep(runtime, async steps =>
        {
            // The spawned watcher waits (queued cursor, woken by the send); the root sees each change synchronously.
            JoinHandle watcher = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < steps; i++)
                {
                    await second.ChangedAsync();
                    _ = second.Borrow().Value;
                }
            });
            for (int i = 0; i < steps; i++)
            {
                tx.Send(i);
                await rx.ChangedAsync();
                _ = rx.BorrowAndUpdate();
                await SpindleTask.YieldAsync();
            }

            await watcher;
        });
        Assert.Equal(0, perStep);
        second.Dispose();
        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public void SendModifyAndWaitFor_SteadyState_AllocateNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var (tx, rx) = Watch.Create(0);
        long perStep = Allocation.BytesPerStep(runtime, async steps =>
        {
            JoinHandle watcher = SpindleTask.Spawn(async () =>
            {
                for (int i = 1; i <= steps; i++)
                {
                    await rx.WaitForAsync(static v => v % 2 == 0);
                }
            });
            for (int i = 0; i < steps; i++)
            {
                tx.SendModify(static (ref int v) => v++);
                tx.SendIfModified(static (ref int v) =>
                {
                    v++;
                    return true;
                });
                await SpindleTask.YieldAsync();
            }

            await watcher;
        });
        Assert.Equal(0, perStep);
        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public void NullDelegates_Throw_AndChangeNothing()
    {
        var (sender, receiver) = Watch.Create(1);
        using (sender)
        using (receiver)
        {
            Assert.Throws<ArgumentNullException>(() => receiver.WaitForAsync(null!));
            Assert.Throws<ArgumentNullException>(() => sender.SendModify(null!));
            Assert.Throws<ArgumentNullException>(() => sender.SendIfModified(null!));
            Assert.False(receiver.HasChanged);
            Assert.Equal(1, receiver.Borrow().Value);
        }
    }
}
