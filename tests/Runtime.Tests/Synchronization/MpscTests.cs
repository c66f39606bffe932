using SpindleTests.Support;

namespace SpindleTests.Synchronization;

public sealed class MpscTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Bounded_SendThenRecv_PreservesOrderAndEndsWhenSenderDisposed(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        List<int> received = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(4);
            JoinHandle producer = SpindleTask.Spawn(async () =>
            {
                using (tx)
                {
                    for (int i = 0; i < 100; i++)
                    {
                        Assert.True(await tx.SendAsync(i));
                    }
                }
            });
            var got = new List<int>();
            while ((await rx.RecvAsync()).TryGetValue(out int v))
            {
                got.Add(v);
            }

            await producer;
            Assert.True(rx.IsClosed);
            Assert.Equal(TryRecvStatus.Closed, rx.TryRecv(out _));
            Assert.False((await rx.RecvAsync()).HasValue);
            return got;
        });
        Assert.Equal(Enumerable.Range(0, 100), received);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Unbounded_ManyClones_EndOnlyWhenEveryCloneIsDisposed(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<string>();
            UnboundedSender<string> clone = tx.Clone();
            Assert.Equal(2, rx.SenderCount);
            Assert.True(tx.Send("a"));
            Assert.True(clone.Send("b"));
            tx.Dispose();
            tx.Dispose();
            Assert.Throws<ObjectDisposedException>(() => tx.Send("x"));
            Assert.False(rx.IsClosed);
            Assert.Equal(2, rx.Count);
            Assert.Equal("a", (await rx.RecvAsync()).Value);
            Assert.Equal("b", (await rx.RecvAsync()).Value);
            Assert.Equal(TryRecvStatus.Empty, rx.TryRecv(out _));
            JoinHandle<bool> waiting = SpindleTask.Spawn(async () => (await rx.RecvAsync()).HasValue);
            await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "mpsc.recv");
            clone.Dispose();
            Assert.False(await waiting);
            Assert.True(rx.IsClosed);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Bounded_WhenFull_SenderWaitsUntilReceiverTakesOne(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(2);
            using (tx)
            {
                Assert.Equal(2, tx.MaxCapacity);
                Assert.True(await tx.SendAsync(1));
                Assert.True(await tx.SendAsync(2));
                Assert.Equal(0, tx.Capacity);
                Assert.Equal(TrySendStatus.Full, tx.TrySend(99));
                JoinHandle<bool> blocked = SpindleTask.Spawn(async () => await tx.SendAsync(3));
                TaskInfo info = await Waiting.UntilParkedOnAsync(runtime, blocked.Id, "mpsc.send");
                Assert.EndsWith("MpscTests.cs", info.WaitingOn!.CallerFilePath, StringComparison.Ordinal);
                Assert.False(blocked.IsFinished);
                Assert.Equal(1, (await rx.RecvAsync()).Value);
                Assert.True(await blocked);
                Assert.Equal(2, (await rx.RecvAsync()).Value);
                Assert.Equal(3, (await rx.RecvAsync()).Value);
                Assert.Equal(2, tx.Capacity);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReceiverClose_WaitingSendersGetFalse_QueuedMessagesStillDrain(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(1);
            using (tx)
            {
                Assert.Equal(TrySendStatus.Sent, tx.TrySend(1));
                JoinHandle<bool> blocked = SpindleTask.Spawn(async () => await tx.SendAsync(2));
                JoinHandle closedWatcher = SpindleTask.Spawn(async () => await tx.ClosedAsync());
                await Waiting.UntilParkedOnAsync(runtime, blocked.Id, "mpsc.send");
                await Waiting.UntilParkedOnAsync(runtime, closedWatcher.Id, "mpsc.closed");
                Assert.False(tx.IsClosed);
                rx.Close();
                rx.Close();
                Assert.False(await blocked);
                await closedWatcher;
                Assert.True(tx.IsClosed);
                Assert.True(rx.IsClosed);
                Assert.Equal(TrySendStatus.Closed, tx.TrySend(3));
                Assert.False(await tx.SendAsync(3));
                Assert.Null(await tx.ReserveAsync());
                await tx.ClosedAsync();
                Assert.Equal(1, (await rx.RecvAsync()).Value);
                Assert.False((await rx.RecvAsync()).HasValue);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void LastSenderDisposedWhileItsSendWaits_SendFails_NothingQueuedAfterTheEnd(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(1);
            Assert.True(await tx.SendAsync(1));
            JoinHandle<bool> blockedSend = SpindleTask.Spawn(async () => await tx.SendAsync(2));
            JoinHandle<bool> blockedReserve = SpindleTask.Spawn(async () =>
            {
                MpscPermit<int>? permit = await tx.ReserveAsync();
                permit?.Send(3);
                return permit is not null;
            });
            await Waiting.UntilParkedOnAsync(runtime, blockedSend.Id, "mpsc.send");
            await Waiting.UntilParkedOnAsync(runtime, blockedReserve.Id, "mpsc.send");
            tx.Dispose();
            // Taking 1 frees the slot the waiting send and reservation were queued for.
            Assert.Equal(1, (await rx.RecvAsync()).Value);
            Assert.False(await blockedSend);
            Assert.False(await blockedReserve);
            Assert.False((await rx.RecvAsync()).HasValue);
            Assert.Equal(TryRecvStatus.Closed, rx.TryRecv(out _));
            Assert.Equal(0, rx.Count);
            rx.Dispose();
        });
    }

    [Fact]
    public void ReceiverDisposedWhileAReceiveIsWoken_ThatReceiveTakesItsMessage_TheRestIsDropped()
    {
        var (tx, rx) = Mpsc.Bounded<int>(4);
        ValueTask<RecvResult<int>> pending = rx.RecvAsync();
        Assert.False(pending.IsCompleted);
        Assert.True(tx.SendAsync(1).IsCompletedSuccessfully);
        Assert.True(tx.SendAsync(2).IsCompletedSuccessfully);
        Assert.True(pending.IsCompleted);
        // The receive is woken but has not taken its message: the Dispose leaves the queue to it.
        rx.Dispose();
        Assert.Equal(1, pending.GetAwaiter().GetResult().Value);
        // The receive dropped what was left when it ended, returning every slot.
        Assert.Equal(0, rx.Count);
        Assert.Equal(4, tx.Capacity);
        Assert.False(tx.SendAsync(3).AsTask().GetAwaiter().GetResult());
        tx.Dispose();
    }

    [Fact]
    public void PrematureGetResult_OnAPendingReceive_ThrowsAndLeavesTheWaitIntact()
    {
        var (tx, rx) = Mpsc.Unbounded<int>();
        ValueTask<RecvResult<int>> pending = rx.RecvAsync();
        Assert.Throws<InvalidOperationException>(() => pending.GetAwaiter().GetResult());
        // Still pending: a second receive is refused, and the send completes the first.
        Assert.Throws<InvalidOperationException>(() => { _ = rx.RecvAsync().AsTask(); });
        Assert.True(tx.Send(7));
        Task<RecvResult<int>> received = pending.AsTask();
        Assert.True(received.Wait(Rt.Bound), "the receive was not completed by the send");
        Assert.Equal(7, received.Result.Value);
        var list = new List<int>();
        ValueTask<int> many = rx.RecvManyAsync(list, 4);
        Assert.Throws<InvalidOperationException>(() => many.GetAwaiter().GetResult());
        Assert.True(tx.Send(8));
        Task<int> receivedMany = many.AsTask();
        Assert.True(receivedMany.Wait(Rt.Bound), "the receive was not completed by the send");
        Assert.Equal(1, receivedMany.Result);
        Assert.Equal([8], list);
        tx.Dispose();
        rx.Dispose();
    }

    [Fact]
    public void ReceiverDispose_DropsQueuedMessages_SendsFail()
    {
        var (tx, rx) = Mpsc.Unbounded<int>();
        using (tx)
        {
            Assert.True(tx.Send(1));
            rx.Dispose();
            rx.Dispose();
            Assert.True(tx.IsClosed);
            Assert.False(tx.Send(2));
            Assert.Throws<ObjectDisposedException>(() => rx.TryRecv(out _));
            Assert.Throws<ObjectDisposedException>(() => { _ = rx.RecvAsync().AsTask(); });
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Permits_ReserveThenDispose_ReturnsCapacity_SendUsesIt(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(1);
            using (rx)
            {
                MpscPermit<int>? reserved = await tx.ReserveAsync();
                Assert.NotNull(reserved);
                MpscPermit<int> permit = reserved.Value;
                Assert.Equal(0, tx.Capacity);
                Assert.Equal(TrySendStatus.Full, tx.TryReserve(out _));
                Assert.Equal(TrySendStatus.Full, tx.TrySend(5));
                permit.Dispose();
                permit.Dispose();
                Assert.Equal(1, tx.Capacity);
                Assert.Throws<InvalidOperationException>(() => permit.Send(1));
                Assert.Throws<InvalidOperationException>(() => default(MpscPermit<int>).Send(1));
                default(MpscPermit<int>).Dispose();

                Assert.Equal(TrySendStatus.Sent, tx.TryReserve(out MpscPermit<int> second));
                MpscPermit<int> copy = second;
                Assert.Equal(second, copy);
                second.Send(42);
                Assert.Throws<InvalidOperationException>(() => copy.Send(43));
                copy.Dispose();
                Assert.Equal(0, tx.Capacity);
                Assert.Equal(42, (await rx.RecvAsync()).Value);
                Assert.Equal(1, tx.Capacity);

                // An outstanding permit keeps the stream open after the last sender, and may send after Close.
                using MpscPermit<int> last = (await tx.ReserveAsync()).GetValueOrDefault();
                tx.Dispose();
                rx.Close();
                Assert.Equal(TryRecvStatus.Empty, rx.TryRecv(out _));
                JoinHandle<int> receiving = SpindleTask.Spawn(async () => (await rx.RecvAsync()).Value);
                await Waiting.UntilParkedOnAsync(runtime, receiving.Id, "mpsc.recv");
                last.Send(7);
                Assert.Equal(7, await receiving);
                Assert.False((await rx.RecvAsync()).HasValue);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Permit_DisposedUnused_EndsTheStreamAfterLastSender(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(3);
            Assert.Equal(TrySendStatus.Sent, tx.TryReserve(out MpscPermit<int> permit));
            tx.Dispose();
            JoinHandle<bool> receiving = SpindleTask.Spawn(async () => (await rx.RecvAsync()).HasValue);
            await Waiting.UntilParkedOnAsync(runtime, receiving.Id, "mpsc.recv");
            permit.Dispose();
            Assert.False(await receiving);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RecvMany_TakesUpToLimit_WaitsWhenEmpty_ZeroOnlyAtEnd(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(10);
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(TrySendStatus.Sent, tx.TrySend(i));
            }

            var list = new List<int> { -1 };
            Assert.Equal(3, await rx.RecvManyAsync(list, 3));
            Assert.Equal(new[] { -1, 0, 1, 2 }, list);
            int[] array = new int[10];
            Assert.Equal(2, await rx.RecvManyAsync(array.AsMemory(1)));
            Assert.Equal(new[] { 0, 3, 4, 0 }, array.Take(4));
            Assert.Equal(10, tx.Capacity);

            JoinHandle<int> waiting = SpindleTask.Spawn(async () => await rx.RecvManyAsync(list, 100));
            await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "mpsc.recv");
            Assert.True(await tx.SendAsync(9));
            Assert.Equal(1, await waiting);
            Assert.Equal(9, list[^1]);

            JoinHandle<int> atEnd = SpindleTask.Spawn(async () => await rx.RecvManyAsync(array));
            await Waiting.UntilParkedOnAsync(runtime, atEnd.Id, "mpsc.recv");
            tx.Dispose();
            Assert.Equal(0, await atEnd);
            Assert.Equal(0, await rx.RecvManyAsync(list, 1));

            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await rx.RecvManyAsync(list, 0));
            await Assert.ThrowsAsync<ArgumentException>(async () => await rx.RecvManyAsync(array, 1));
            await Assert.ThrowsAsync<ArgumentException>(async () => await rx.RecvManyAsync(Memory<int>.Empty));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WeakSender_DoesNotKeepChannelOpen_UpgradeFailsAfterLastSender(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(4);
            WeakMpscSender<int> weak = tx.Downgrade();
            Assert.True(weak.TryUpgrade(out MpscSender<int>? upgraded));
            Assert.Equal(2, rx.SenderCount);
            Assert.True(await upgraded.SendAsync(1));
            upgraded.Dispose();
            tx.Dispose();
            Assert.False(weak.TryUpgrade(out MpscSender<int>? none));
            Assert.Null(none);
            Assert.Equal(1, (await rx.RecvAsync()).Value);
            Assert.False((await rx.RecvAsync()).HasValue);

            var (utx, urx) = Mpsc.Unbounded<int>();
            WeakUnboundedSender<int> uweak = utx.Downgrade();
            Assert.True(uweak.TryUpgrade(out UnboundedSender<int>? up));
            up.Dispose();
            utx.Dispose();
            Assert.False(uweak.TryUpgrade(out _));
            Assert.Equal(TryRecvStatus.Closed, urx.TryRecv(out _));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RecvCancelledByToken_LosesNoMessage(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            using (tx)
            {
                using var cts = new CancellationTokenSource();
                JoinHandle<Exception?> waiting = SpindleTask.Spawn(async () =>
                {
                    try
                    {
                        await rx.RecvAsync(cts.Token);
                        return null;
                    }
                    catch (OperationCanceledException e)
                    {
                        return (Exception)e;
                    }
                });
                await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "mpsc.recv");
                cts.Cancel();
                Assert.IsType<OperationCanceledException>(await waiting);
                Assert.True(tx.Send(5));
                Assert.Equal(5, (await rx.RecvAsync()).Value);

                // A token that is already cancelled throws before anything is taken.
                Assert.True(tx.Send(6));
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await rx.RecvAsync(cts.Token));
                Assert.Equal(6, (await rx.RecvAsync()).Value);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RecvAborted_LosesNoMessage_ReceiverReusableByAnotherTask(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(1);
            using (tx)
            {
                JoinHandle waiting = SpindleTask.Spawn(async () => await rx.RecvAsync());
                await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "mpsc.recv");
                waiting.Abort();
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await waiting);
                Assert.True(await tx.SendAsync(8));
                JoinHandle<int> next = SpindleTask.Spawn(async () => (await rx.RecvAsync()).Value);
                Assert.Equal(8, await next);
                Assert.Equal(1, tx.Capacity);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SendCancelledWhileWaiting_ValueNotSent_PlaceGoesToNextSender(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(1);
            using (tx)
            {
                Assert.True(await tx.SendAsync(0));
                using var cts = new CancellationTokenSource();
                JoinHandle<bool> first = SpindleTask.Spawn(async () => await tx.SendAsync(1, cts.Token));
                await Waiting.UntilParkedOnAsync(runtime, first.Id, "mpsc.send");
                JoinHandle<bool> second = SpindleTask.Spawn(async () => await tx.SendAsync(2));
                await Waiting.UntilParkedOnAsync(runtime, second.Id, "mpsc.send");
                JoinHandle<bool> third = SpindleTask.Spawn(async () => await tx.SendAsync(3));
                await Waiting.UntilParkedOnAsync(runtime, third.Id, "mpsc.send");
                JoinHandle<MpscPermit<int>?> reserver = SpindleTask.Spawn(async () => await tx.ReserveAsync());
                await Waiting.UntilParkedOnAsync(runtime, reserver.Id, "mpsc.send");

                cts.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await first);
                third.Abort();
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await third);
                reserver.Abort();
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await reserver);

                Assert.Equal(0, (await rx.RecvAsync()).Value);
                Assert.True(await second);
                Assert.Equal(2, (await rx.RecvAsync()).Value);
                Assert.Equal(TryRecvStatus.Empty, rx.TryRecv(out _));
                Assert.Equal(1, tx.Capacity);
            }
        });
    }

    [Fact]
    public void BlockingForms_FromPlainThreads_SendAndReceive()
    {
        var (tx, rx) = Mpsc.Bounded<int>(1);
        var producer = new Thread(() =>
        {
            using (tx)
            {
                for (int i = 0; i < 50; i++)
                {
                    Assert.True(tx.BlockingSend(i));
                }
            }
        })
        { IsBackground = true };
        producer.Start();
        var got = new List<int>();
        while (rx.BlockingRecv().TryGetValue(out int v))
        {
            got.Add(v);
        }

        Assert.True(producer.Join(Rt.Bound));
        Assert.Equal(Enumerable.Range(0, 50), got);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockingForms_OnRuntimeThread_Throw(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var (tx, rx) = Mpsc.Bounded<int>(1);
        Rt.Run(runtime, () =>
        {
            Assert.Contains("BlockingRecv", Assert.Throws<InvalidOperationException>(() => rx.BlockingRecv()).Message, StringComparison.Ordinal);
            Assert.Contains("BlockingSend", Assert.Throws<InvalidOperationException>(() => tx.BlockingSend(1)).Message, StringComparison.Ordinal);
            return Task.CompletedTask;
        });
        Assert.Equal(TryRecvStatus.Empty, rx.TryRecv(out _));
    }

    [Fact]
    public async Task OutsideAnyRuntime_PlainTasksSendAndReceive()
    {
        var (tx, rx) = Mpsc.Bounded<int>(2);
        Task<List<int>> consumer = Task.Run(async () =>
        {
            var got = new List<int>();
            while ((await rx.RecvAsync()).TryGetValue(out int v))
            {
                got.Add(v);
            }

            return got;
        });
        Task producer = Task.Run(async () =>
        {
            using (tx)
            {
                for (int i = 0; i < 200; i++)
                {
                    Assert.True(await tx.SendAsync(i));
                }
            }
        });
        await Rt.Within(producer);
        Assert.Equal(Enumerable.Range(0, 200), await Rt.Within(consumer));
    }

    [Fact]
    public void CoopBudget_TaskLoopingOnReadyReceiver_YieldsToOthers()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        (int iterationsWhenOtherRan, long forced) = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            for (int i = 0; i < 10_000; i++)
            {
                tx.Send(i);
            }

            int iterations = 0;
            int seenByOther = -1;
            await SpindleTask.YieldAsync();
            JoinHandle other = SpindleTask.Spawn(() =>
            {
                seenByOther = Volatile.Read(ref iterations);
                return Task.CompletedTask;
            });
            for (; iterations < 10_000 && seenByOther < 0; iterations++)
            {
                Assert.Equal(iterations, (await rx.RecvAsync()).Value);
            }

            await other;
            tx.Dispose();
            return (seenByOther, runtime.Metrics.BudgetForcedYieldCount);
        });
        Assert.InRange(iterationsWhenOtherRan, 0, 2 * 128);
        Assert.True(forced > 0, "the forced yield must be counted");
    }

    [Fact]
    public void CoopBudget_TaskLoopingOnSendWithRoom_YieldsToOthers()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        int iterationsWhenOtherRan = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(100_000);
            using (tx)
            {
                int iterations = 0;
                int seenByOther = -1;
                await SpindleTask.YieldAsync();
                JoinHandle other = SpindleTask.Spawn(() =>
                {
                    seenByOther = Volatile.Read(ref iterations);
                    return Task.CompletedTask;
                });
                for (; iterations < 10_000 && seenByOther < 0; iterations++)
                {
                    Assert.True(await tx.SendAsync(iterations));
                }

                await other;
                return seenByOther;
            }
        });
        Assert.InRange(iterationsWhenOtherRan, 0, 2 * 128);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void GetTasks_ShowsTaskWaitingInRecv(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        TaskInfo info = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(8);
            using (tx)
            {
                JoinHandle receiver = SpindleTask.Spawn(async () => await rx.RecvAsync(), name: "consumer");
                TaskInfo found = await Waiting.UntilParkedOnAsync(runtime, receiver.Id, "mpsc.recv");
                receiver.Abort();
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await receiver);
                return found;
            }
        });
        Assert.Equal("consumer", info.Name);
        Assert.Equal("0 queued, 1 sender(s)", info.WaitingOn!.Resource);
        Assert.EndsWith("MpscTests.cs", info.WaitingOn.CallerFilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void ConcurrentReceives_SecondOneThrows()
    {
        var (tx, rx) = Mpsc.Unbounded<int>();
        ValueTask<RecvResult<int>> pending = rx.RecvAsync();
        Assert.False(pending.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => { _ = rx.RecvAsync().AsTask(); });
        Assert.Throws<InvalidOperationException>(() => rx.TryRecv(out _));
        tx.Send(1);
        Assert.Equal(1, pending.AsTask().GetAwaiter().GetResult().Value);
        tx.Dispose();
    }

    [Fact]
    public void Arguments_AreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Mpsc.Bounded<int>(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Mpsc.Bounded<int>(-1));
        var (tx, rx) = Mpsc.Unbounded<int>();
        Assert.Throws<ArgumentNullException>(() => { _ = rx.RecvManyAsync(null!, 1).AsTask(); });
        tx.Dispose();
    }

    [Fact]
    public void RecvResult_ValueEqualityAndText()
    {
        RecvResult<int> none = default;
        var five = new RecvResult<int>(5);
        Assert.False(none.HasValue);
        Assert.Contains("HasValue", Assert.Throws<InvalidOperationException>(() => none.Value).Message, StringComparison.Ordinal);
        Assert.False(none.TryGetValue(out _));
        Assert.True(five.TryGetValue(out int v) && v == 5);
        Assert.Equal(new RecvResult<int>(5), five);
        Assert.True(five == new RecvResult<int>(5));
        Assert.True(five != none);
        Assert.NotEqual(new RecvResult<int>(0), none);
        Assert.Equal(five.GetHashCode(), new RecvResult<int>(5).GetHashCode());
        Assert.False(five.Equals((object)"5"));
        Assert.Equal("RecvResult(5)", five.ToString());
        Assert.Equal("RecvResult(no value)", none.ToString());
    }

    [Fact]
    public void SendRecv_ReadyPath_AllocatesNothingPerMessage()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var (tx, rx) = Mpsc.Bounded<int>(16);
        var (utx, urx) = Mpsc.Unbounded<int>();
        long perMessage = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                await tx.SendAsync(i);
                await rx.RecvAsync();
                utx.Send(i);
                await urx.RecvAsync();
                tx.TryReserve(out MpscPermit<int> permit);
                permit.Send(i);
                tx.TrySend(i);
                await rx.RecvManyAsync(new Memory<int>(s_buffer));
            }
        });
        Assert.Equal(0, perMessage);
    }

    private static readonly int[] s_buffer = new int[4];

    [Fact]
    public void SendRecv_AcrossWaitingTasks_AllocatesNothingPerMessage()
    {
        // Capacity 1 and two tasks: every message makes the receiver wait for the sender and the
        // sender wait for room, so the embedded receive wait and the pooled send waiter are exercised.
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var (tx, rx) = Mpsc.Bounded<int>(1);
        long perMessage = Allocation.BytesPerStep(runtime, async steps =>
        {
            JoinHandle producer = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < steps; i++)
                {
                    await tx.SendAsync(i);
                }
            });
            for (int i = 0; i < steps; i++)
            {
                await rx.RecvAsync();
            }

            await producer;
        });
        Assert.Equal(0, perMessage);
    }
}
