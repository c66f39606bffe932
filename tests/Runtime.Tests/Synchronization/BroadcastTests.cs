using System.Runtime.CompilerServices;
using SpindleTests.Support;

namespace SpindleTests.Synchronization;

/// <summary>Broadcast channel contract on both schedulers: fan-out, lag, close, subscription, cancellation, leaf behaviour.</summary>
public sealed class BroadcastTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Send_ThreeReceivers_EachSeesEveryValueInOrder(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(16);
            using BroadcastSender<int> sender = tx;
            BroadcastReceiver<int>[] receivers = [rx, tx.Subscribe(), tx.Subscribe()];
            Assert.Equal(3, tx.ReceiverCount);
            JoinHandle<List<int>>[] readers = receivers.Select(r => SpindleTask.Spawn(async () =>
            {
                var seen = new List<int>();
                while (true)
                {
                    BroadcastResult<int> result = await r.RecvAsync();
                    if (!result.TryGetValue(out int v))
                    {
                        Assert.Equal(BroadcastStatus.Closed, result.Status);
                        return seen;
                    }

                    seen.Add(v);
                }
            })).ToArray();
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(3, tx.Send(i));
                await SpindleTask.YieldAsync();
            }

            tx.Dispose();
            foreach (JoinHandle<List<int>> reader in readers)
            {
                Assert.Equal(Enumerable.Range(0, 10), await reader);
            }

            foreach (BroadcastReceiver<int> r in receivers)
            {
                r.Dispose();
            }
        });
    }

    [Fact]
    public void Send_NoReceivers_ReturnsZeroAndDropsTheValue()
    {
        var (tx, rx) = Broadcast.Create<string>(4);
        rx.Dispose();
        Assert.Equal(0, tx.ReceiverCount);
        Assert.Equal(0, tx.Send("lost"));
        Assert.Equal(0, tx.Len);
        using BroadcastReceiver<string> late = tx.Subscribe();
        Assert.False(late.TryRecv(out BroadcastResult<string> result));
        Assert.Equal(BroadcastStatus.Empty, result.Status);
        Assert.Equal(1, tx.Send("kept"));
        Assert.True(late.TryRecv(out result));
        Assert.Equal("kept", result.Value);
        tx.Dispose();
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SlowReceiver_Overrun_ReportsLaggedByMissedCountThenContinuesFromOldest(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(4);
            using BroadcastSender<int> sender = tx;
            using BroadcastReceiver<int> receiver = rx;
            SendRange(tx, 0, 10);

            Assert.Equal(10, rx.Len);
            BroadcastResult<int> lag = await rx.RecvAsync();
            Assert.Equal(BroadcastStatus.Lagged, lag.Status);
            Assert.Equal(6, lag.LaggedBy);
            Assert.False(lag.HasValue);
            Assert.Throws<InvalidOperationException>(() => lag.Value);
            Assert.Equal("Lagged(6)", lag.ToString());
            for (int expected = 6; expected < 10; expected++)
            {
                BroadcastResult<int> r = await rx.RecvAsync();
                Assert.Equal(expected, r.Value);
                Assert.Equal(0, r.LaggedBy);
            }

            Assert.False(rx.TryRecv(out BroadcastResult<int> empty));
            Assert.Equal(BroadcastStatus.Empty, empty.Status);
            Assert.True(rx.IsEmpty);
        });
    }

    [Fact]
    public void TryRecv_Overrun_ReportsLaggedOnceThenValues()
    {
        var (tx, rx) = Broadcast.Create<int>(2);
        SendRange(tx, 0, 5);

        Assert.False(rx.TryRecv(out BroadcastResult<int> lag));
        Assert.Equal(BroadcastStatus.Lagged, lag.Status);
        Assert.Equal(3, lag.LaggedBy);
        Assert.True(rx.TryRecv(out BroadcastResult<int> v3));
        Assert.Equal(3, v3.Value);
        Assert.Equal("Value(3)", v3.ToString());
        Assert.True(rx.TryRecv(out BroadcastResult<int> v4));
        Assert.Equal(4, v4.Value);
        tx.Dispose();
        Assert.False(rx.TryRecv(out BroadcastResult<int> closed));
        Assert.Equal(BroadcastStatus.Closed, closed.Status);
        Assert.False(closed.TryGetValue(out _));
        rx.Dispose();
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void LastSenderDisposed_ReceiversDrainQueuedValuesThenSeeClosed(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(8);
            using BroadcastReceiver<int> receiver = rx;
            BroadcastSender<int> clone = tx.Clone();
            tx.Send(1);
            tx.Dispose();
            tx.Dispose();
            Assert.Throws<ObjectDisposedException>(() => tx.Send(0));
            Assert.Throws<ObjectDisposedException>(() => tx.Subscribe());
            Assert.Throws<ObjectDisposedException>(() => tx.Clone());
            Assert.False(rx.IsClosed);
            Assert.Equal(1, clone.Send(2));
            clone.Dispose();
            Assert.True(rx.IsClosed);
            Assert.Equal(1, (await rx.RecvAsync()).Value);
            Assert.Equal(2, (await rx.RecvAsync()).Value);
            Assert.Equal(BroadcastStatus.Closed, (await rx.RecvAsync()).Status);
            Assert.Equal(BroadcastStatus.Closed, (await rx.RecvAsync()).Status);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void LastSenderDisposed_WhileReceiverWaits_WakesItWithClosed(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(8);
            using BroadcastReceiver<int> receiver = rx;
            JoinHandle<BroadcastStatus> waiter = SpindleTask.Spawn(async () => (await rx.RecvAsync()).Status);
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "broadcast.recv");
            tx.Dispose();
            Assert.Equal(BroadcastStatus.Closed, await waiter);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Subscribe_MidStream_SeesOnlyValuesSentAfterwards(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(8);
            using BroadcastSender<int> sender = tx;
            using BroadcastReceiver<int> first = rx;
            tx.Send(1);
            tx.Send(2);
            using BroadcastReceiver<int> late = tx.Subscribe();
            using BroadcastReceiver<int> resubscribed = rx.Resubscribe();
            Assert.Equal(3, tx.ReceiverCount);
            Assert.Equal(0, late.Len);
            tx.Send(3);
            Assert.Equal(3, (await late.RecvAsync()).Value);
            Assert.Equal(3, (await resubscribed.RecvAsync()).Value);
            Assert.Equal(1, (await rx.RecvAsync()).Value);
            Assert.Equal(2, rx.Len);
        });
    }

    [Fact]
    public void ReceiverDispose_ReleasesItsClaimOnQueuedValues()
    {
        var (tx, fast) = Broadcast.Create<object>(8);
        BroadcastReceiver<object> slow = tx.Subscribe();
        WeakReference sent = SendFresh(tx);
        Assert.Equal(1, tx.Len);
        Drain(fast);
        Assert.Equal(1, tx.Len);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(sent.IsAlive, "the slow receiver still has to read the value");
        slow.Dispose();
        slow.Dispose();
        Assert.Equal(0, tx.Len);
        Assert.True(tx.IsEmpty);
        Assert.Equal(1, tx.ReceiverCount);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(sent.IsAlive, "once every receiver has read or dropped it, the ring must not keep the value alive");
        Assert.Throws<ObjectDisposedException>(() => slow.TryRecv(out _));
        Assert.Throws<ObjectDisposedException>(() => { _ = slow.RecvAsync().AsTask(); });
        fast.Dispose();
        tx.Dispose();
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReceiverFarBehind_GetsEveryValueInOrder_LenCountingDownAcrossBatches(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(128);
            using BroadcastSender<int> sender = tx;
            using BroadcastReceiver<int> receiver = rx;
            SendRange(tx, 0, 100);

            // Receives and TryRecv alternate, across several batches and the ring behind them.
            for (int i = 0; i < 100; i++)
            {
                Assert.Equal(100 - i, receiver.Len);
                if (i % 3 == 0)
                {
                    Assert.True(receiver.TryRecv(out BroadcastResult<int> tried));
                    Assert.Equal(i, tried.Value);
                }
                else
                {
                    Assert.Equal(i, (await receiver.RecvAsync()).Value);
                }
            }

            Assert.Equal(0, receiver.Len);
            Assert.False(receiver.TryRecv(out BroadcastResult<int> empty));
            Assert.Equal(BroadcastStatus.Empty, empty.Status);
            tx.Send(100);
            Assert.Equal(100, (await receiver.RecvAsync()).Value);
        });
    }

    [Fact]
    public void ValuesAlreadyTaken_AreNotLostToAnOverrun_LagCountsOnlyTheOthers()
    {
        var (tx, rx) = Broadcast.Create<int>(8);
        SendRange(tx, 0, 8);

        // Taking 0 takes 1..7 with it: they count as read.
        Assert.True(rx.TryRecv(out BroadcastResult<int> first));
        Assert.Equal(0, first.Value);
        Assert.Equal(0, tx.Len);
        Assert.Equal(7, rx.Len);

        // 8..23 overwrite the ring twice over: 8..15 are lost, 16..23 remain.
        SendRange(tx, 8, 24);

        for (int i = 1; i < 8; i++)
        {
            Assert.True(rx.TryRecv(out BroadcastResult<int> taken));
            Assert.Equal(i, taken.Value);
        }

        Assert.False(rx.TryRecv(out BroadcastResult<int> lag));
        Assert.Equal(BroadcastStatus.Lagged, lag.Status);
        Assert.Equal(8, lag.LaggedBy);
        for (int i = 16; i < 24; i++)
        {
            Assert.True(rx.TryRecv(out BroadcastResult<int> value));
            Assert.Equal(i, value.Value);
        }

        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public void ReceiverDisposed_WithValuesTakenAhead_DropsThem_AndLaterReceivesThrow()
    {
        var (tx, behind) = Broadcast.Create<object>(8);
        BroadcastReceiver<object> other = tx.Subscribe();
        WeakReference[] sent = [SendFresh(tx), SendFresh(tx), SendFresh(tx)];
        TakeOne(behind);
        Assert.Equal(2, behind.Len);
        Drain(other);
        Assert.Equal(0, tx.Len);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(sent[2].IsAlive, "the receiver has still to return the values it took ahead");

        behind.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.All(sent, value => Assert.False(value.IsAlive, "a disposed receiver must not keep the values it took ahead"));
        Assert.Throws<ObjectDisposedException>(() => behind.TryRecv(out _));
        Assert.Throws<ObjectDisposedException>(() => { _ = behind.RecvAsync().AsTask(); });
        Assert.Equal(1, tx.ReceiverCount);
        other.Dispose();
        tx.Dispose();
    }

    /// <summary>Sends <paramref name="from"/> up to (not including) <paramref name="to"/>, in order.</summary>
    private static void SendRange(BroadcastSender<int> tx, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            tx.Send(i);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TakeOne(BroadcastReceiver<object> rx) => Assert.True(rx.TryRecv(out _));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SendFresh(BroadcastSender<object> tx)
    {
        object value = new();
        Assert.Equal(2, tx.Send(value));
        return new WeakReference(value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Drain(BroadcastReceiver<object> rx)
    {
        while (rx.TryRecv(out _))
        {
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReceiverDispose_WhileWaiting_EndsTheWaitWithClosed(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(8);
            using BroadcastSender<int> sender = tx;
            JoinHandle<BroadcastStatus> waiter = SpindleTask.Spawn(async () => (await rx.RecvAsync()).Status);
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "broadcast.recv");
            rx.Dispose();
            Assert.Equal(BroadcastStatus.Closed, await waiter);
            Assert.Equal(0, tx.ReceiverCount);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RecvAsync_CancelledByTokenWhileWaiting_TakesNothing(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(8);
            using BroadcastSender<int> sender = tx;
            using BroadcastReceiver<int> receiver = rx;
            using var cts = new CancellationTokenSource();
            JoinHandle waiter = SpindleTask.Spawn(async () =>
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await rx.RecvAsync(cts.Token)));
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "broadcast.recv");
            cts.Cancel();
            await waiter;
            tx.Send(7);
            Assert.Equal(7, (await rx.RecvAsync()).Value);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await rx.RecvAsync(cts.Token));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RecvAsync_TaskAbortedWhileWaiting_TakesNothing(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(8);
            using BroadcastSender<int> sender = tx;
            using BroadcastReceiver<int> receiver = rx;
            tx.Send(1);
            Assert.Equal(1, (await rx.RecvAsync()).Value);
            JoinHandle waiter = SpindleTask.Spawn(async () => await rx.RecvAsync());
            TaskInfo parked = await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "broadcast.recv");
            Assert.EndsWith("BroadcastTests.cs", parked.WaitingOn!.CallerFilePath, StringComparison.Ordinal);
            Assert.Contains("1 receivers", parked.WaitingOn.Resource, StringComparison.Ordinal);
            waiter.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await waiter);
            tx.Send(2);
            Assert.True(rx.TryRecv(out BroadcastResult<int> result));
            Assert.Equal(2, result.Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RecvAsync_WhileAnotherIsPending_Throws(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(8);
            using BroadcastSender<int> sender = tx;
            using BroadcastReceiver<int> receiver = rx;
            ValueTask<BroadcastResult<int>> pending = rx.RecvAsync();
            Assert.Throws<InvalidOperationException>(() => { _ = rx.RecvAsync().AsTask(); });
            Assert.Throws<InvalidOperationException>(() => rx.TryRecv(out _));
            tx.Send(5);
            Assert.Equal(5, (await pending).Value);
            tx.Send(6);
            Assert.True(rx.TryRecv(out BroadcastResult<int> next));
            Assert.Equal(6, next.Value);
        });
    }

    [Fact]
    public void Create_CapacityOutOfRange_ThrowsAndRoundsUpToPowerOfTwo()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Broadcast.Create<int>(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Broadcast.Create<int>((1 << 30) + 1));
        var (tx, rx) = Broadcast.Create<int>(5);
        Assert.Equal(8, tx.Capacity);
        rx.Dispose();
        tx.Dispose();
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockingRecv_OnRuntimeThread_Throws(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var (tx, rx) = Broadcast.Create<int>(8);
        tx.Send(1);
        Rt.Run(runtime, () =>
        {
            InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => rx.BlockingRecv());
            Assert.Contains("BlockingRecv", error.Message, StringComparison.Ordinal);
            return Task.CompletedTask;
        });
        Assert.Equal(1, rx.BlockingRecv().Value);
        rx.Dispose();
        tx.Dispose();
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockingRecv_FromPlainThread_WaitsForATaskSend(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var (tx, rx) = Broadcast.Create<int>(8);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<BroadcastResult<int>> blocked = Task.Factory.StartNew(() =>
        {
            started.SetResult();
            return rx.BlockingRecv();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Rt.Run(runtime, async () =>
        {
            await Rt.Within(started.Task);
            // Whether the thread is already blocked or not, the value sent after subscribing reaches it.
            tx.Send(42);
        });
        Assert.Equal(42, Rt.Within(blocked).GetAwaiter().GetResult().Value);
        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public async Task RecvAsync_OutsideAnyRuntime_PlainTaskAwaitWorks()
    {
        var (tx, rx) = Broadcast.Create<string>(4);
        using BroadcastReceiver<string> receiver = rx;
        Task<BroadcastResult<string>> pending = rx.RecvAsync().AsTask();
        Assert.False(pending.IsCompleted);
        tx.Send("hi");
        Assert.Equal("hi", (await Rt.Within(pending)).Value);
        tx.Dispose();
        Assert.Equal(BroadcastStatus.Closed, (await rx.RecvAsync()).Status);
    }

    [Fact]
    public void CoopBudget_ReceiverLoopingOnReadyValues_GivesOthersATurn()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        int iterationsWhenOtherRan = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(1024);
            using BroadcastReceiver<int> receiver = rx;
            SendRange(tx, 0, 1000);

            int iterations = 0;
            int seenByOther = -1;
            JoinHandle other = SpindleTask.Spawn(() =>
            {
                seenByOther = Volatile.Read(ref iterations);
                return Task.CompletedTask;
            });
            for (; iterations < 1000 && seenByOther < 0; iterations++)
            {
                // Every receive is ready: only the budget makes this loop give way.
                Assert.True((await rx.RecvAsync()).HasValue);
            }

            await other;
            tx.Dispose();
            return seenByOther;
        });
        Assert.InRange(iterationsWhenOtherRan, 0, 2 * 128);
    }

    [Fact]
    public void SendAndRecv_SteadyState_AllocateNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var (tx, rx) = Broadcast.Create<int>(64);
        BroadcastReceiver<int> second = tx.Subscribe();
        long perStep = Allocation.BytesPerStep(runtime, async steps =>
        {
            // The spawned reader waits (queued cursor, woken by the send); the root reads synchronously.
            JoinHandle reader = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < steps; i++)
                {
                    await second.RecvAsync();
                }
            });
            for (int i = 0; i < steps; i++)
            {
                tx.Send(i);
                await rx.RecvAsync();
                await SpindleTask.YieldAsync();
            }

            await reader;
        });
        Assert.Equal(0, perStep);
        second.Dispose();
        rx.Dispose();
        tx.Dispose();
    }
}
