using SpindleTests.Support;

namespace SpindleTests.Synchronization;

public sealed class OneshotTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Send_ToWaitingReceiver_DeliversTheValue(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<string>();
            JoinHandle<string> waiting = SpindleTask.Spawn(async () => (await rx.RecvAsync()).Value, name: "reply");
            TaskInfo info = await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "oneshot.recv");
            Assert.EndsWith("OneshotTests.cs", info.WaitingOn!.CallerFilePath, StringComparison.Ordinal);
            Assert.False(tx.IsClosed);
            Assert.True(tx.Send("pong"));
            tx.Dispose();
            Assert.Equal("pong", await waiting);
            Assert.Equal(TryRecvStatus.Closed, rx.TryRecv(out _));
            Assert.False((await rx.RecvAsync()).HasValue);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ValueSentToAWaitingReceive_IsItsOwn_EvenIfTheReceiverIsDisposedAndTheTaskAbortedBeforeItResumes(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<string>();
            var (neverTx, neverRx) = Oneshot.Create<int>();
            var received = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle waiting = SpindleTask.Spawn(async () =>
            {
                RecvResult<string> result = await rx;
                received.SetResult(result.HasValue ? result.Value : null);
                await neverRx;
            });
            await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "oneshot.recv");

            // On the current-thread runtime the receiving task cannot resume before all three have happened.
            Assert.True(tx.Send("handed"));
            rx.Dispose();
            waiting.Abort();

            Assert.Equal("handed", await received.Task.WaitAsync(Rt.Bound));
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await waiting);
            Assert.Equal(TryRecvStatus.Closed, rx.TryRecv(out _));
            Assert.True(tx.IsClosed);
            neverTx.Dispose();
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void FinishedReceiveInsideATimeoutScope_IsNoLongerListed_WhenTheTaskWaitsOnTheNextLeaf(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            var notify = new Notify();
            // Inside a scope, waits are registered with the task under its lock rather than in its fast slot.
            JoinHandle waiting = SpindleTask.Spawn(() => Time.TimeoutAsync(TimeSpan.FromHours(1), async _ =>
            {
                await rx;
                await notify.NotifiedAsync();
            }));
            await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "oneshot.recv");
            Assert.True(tx.Send(1));

            // Fails after the bound if the finished receive were still registered (the listing would name it).
            await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "notify");
            notify.NotifyOne();
            await waiting;
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SendBeforeRecv_ValueIsKept_ReceiverAwaitableDirectly(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            using (tx)
            {
                Assert.Equal(TryRecvStatus.Empty, rx.TryRecv(out _));
                Assert.True(tx.Send(42));
                Assert.Throws<InvalidOperationException>(() => tx.Send(43));
            }

            RecvResult<int> result = await rx;
            Assert.Equal(42, result.Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SenderDisposedWithoutSending_ReceiverGetsNoValue(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            JoinHandle<RecvResult<int>> waiting = SpindleTask.Spawn(async () => await rx.RecvAsync());
            await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "oneshot.recv");
            tx.Dispose();
            tx.Dispose();
            Assert.False((await waiting).HasValue);
            Assert.Throws<ObjectDisposedException>(() => tx.Send(1));

            var (tx2, rx2) = Oneshot.Create<int>();
            tx2.Dispose();
            Assert.Equal(TryRecvStatus.Closed, rx2.TryRecv(out _));
            Assert.False((await rx2.RecvAsync()).HasValue);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReceiverDropped_SenderObservesClose_SendFails(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            using (tx)
            {
                JoinHandle watcher = SpindleTask.Spawn(async () => await tx.ClosedAsync());
                await Waiting.UntilParkedOnAsync(runtime, watcher.Id, "oneshot.closed");
                rx.Dispose();
                await watcher;
                Assert.True(tx.IsClosed);
                Assert.False(tx.Send(1));
                await tx.ClosedAsync();
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SenderDisposedAfterSend_EndsItsClosedAsync_ValueStaysForTheReceiver(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            using (rx)
            {
                JoinHandle watcher = SpindleTask.Spawn(async () => await tx.ClosedAsync());
                await Waiting.UntilParkedOnAsync(runtime, watcher.Id, "oneshot.closed");
                Assert.True(tx.Send(7));
                tx.Dispose();
                await Rt.Within(watcher.AsTask());
                await tx.ClosedAsync();
                Assert.Equal(7, (await rx).Value);
                Assert.Throws<InvalidOperationException>(() => tx.Send(8));
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReceiverClose_KeepsAValueAlreadySent_PendingReceiveWithoutOneEnds(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            Assert.True(tx.Send(5));
            rx.Close();
            Assert.Equal(5, (await rx.RecvAsync()).Value);

            var (tx2, rx2) = Oneshot.Create<int>();
            using (tx2)
            {
                JoinHandle<RecvResult<int>> waiting = SpindleTask.Spawn(async () => await rx2.RecvAsync());
                await Waiting.UntilParkedOnAsync(runtime, waiting.Id, "oneshot.recv");
                rx2.Close();
                Assert.False((await waiting).HasValue);
                Assert.False(tx2.Send(1));
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void RecvCancelled_ByTokenOrAbort_ValueStaysForTheNextReceive(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            using var cts = new CancellationTokenSource();
            JoinHandle<bool> byToken = SpindleTask.Spawn(async () =>
            {
                try
                {
                    await rx.RecvAsync(cts.Token);
                    return false;
                }
                catch (OperationCanceledException)
                {
                    return true;
                }
            });
            await Waiting.UntilParkedOnAsync(runtime, byToken.Id, "oneshot.recv");
            cts.Cancel();
            Assert.True(await byToken);

            JoinHandle aborted = SpindleTask.Spawn(async () => await rx.RecvAsync());
            await Waiting.UntilParkedOnAsync(runtime, aborted.Id, "oneshot.recv");
            aborted.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await aborted);

            Assert.True(tx.Send(9));
            Assert.Equal(9, (await rx.RecvAsync()).Value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ClosedAsync_Cancelled_LeavesTheChannelUsable(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            using var cts = new CancellationTokenSource();
            JoinHandle<bool> watcher = SpindleTask.Spawn(async () =>
            {
                try
                {
                    await tx.ClosedAsync(cts.Token);
                    return false;
                }
                catch (OperationCanceledException)
                {
                    return true;
                }
            });
            await Waiting.UntilParkedOnAsync(runtime, watcher.Id, "oneshot.closed");
            cts.Cancel();
            Assert.True(await watcher);
            Assert.True(tx.Send(3));
            Assert.Equal(3, (await rx.RecvAsync()).Value);
        });
    }

    [Fact]
    public void BlockingRecv_FromPlainThread_GetsTheValue()
    {
        var (tx, rx) = Oneshot.Create<int>();
        var sender = new Thread(() =>
        {
            using (tx)
            {
                tx.Send(11);
            }
        })
        { IsBackground = true };
        sender.Start();
        Assert.Equal(11, rx.BlockingRecv().Value);
        Assert.True(sender.Join(Rt.Bound));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void BlockingRecv_OnRuntimeThread_Throws(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        var (tx, rx) = Oneshot.Create<int>();
        Rt.Run(runtime, () =>
        {
            Assert.Contains("BlockingRecv", Assert.Throws<InvalidOperationException>(() => rx.BlockingRecv()).Message, StringComparison.Ordinal);
            return Task.CompletedTask;
        });
        tx.Dispose();
    }

    [Fact]
    public async Task OutsideAnyRuntime_PlainTasks()
    {
        var (tx, rx) = Oneshot.Create<int>();
        Task<RecvResult<int>> receiving = Task.Run(async () => await rx.RecvAsync());
        Task sending = Task.Run(() =>
        {
            using (tx)
            {
                tx.Send(7);
            }
        });
        await Rt.Within(sending);
        Assert.Equal(7, (await Rt.Within(receiving)).Value);
    }

    [Fact]
    public void ConcurrentReceives_SecondOneThrows()
    {
        var (tx, rx) = Oneshot.Create<int>();
        ValueTask<RecvResult<int>> pending = rx.RecvAsync();
        Assert.Throws<InvalidOperationException>(() => { _ = rx.RecvAsync().AsTask(); });
        Assert.Throws<InvalidOperationException>(() => rx.TryRecv(out _));
        tx.Send(1);
        Assert.Equal(1, pending.AsTask().GetAwaiter().GetResult().Value);
    }

    [Fact]
    public void CoopBudget_TaskLoopingOnReadyReceivers_YieldsToOthers()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        int iterationsWhenOtherRan = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Oneshot.Create<int>();
            tx.Send(1);
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
                // After the first take the receiver is ready forever (no value): every await is ready.
                await rx.RecvAsync();
            }

            await other;
            return seenByOther;
        });
        Assert.InRange(iterationsWhenOtherRan, 0, 2 * 128);
    }

    [Fact]
    public void SendAndRecvAcrossTasks_AllocateNothingBeyondTheChannel()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var replies = new (OneshotSender<int> Tx, OneshotReceiver<int> Rx)[3_200];
        for (int i = 0; i < replies.Length; i++)
        {
            replies[i] = Oneshot.Create<int>();
        }

        int next = 0;
        Func<int, Task> run = async steps =>
        {
            int start = next;
            next += steps;
            JoinHandle sender = SpindleTask.Spawn(async () =>
            {
                for (int i = start; i < start + steps; i++)
                {
                    await SpindleTask.YieldAsync();
                    replies[i].Tx.Send(i);
                }
            });
            for (int i = start; i < start + steps; i++)
            {
                await replies[i].Rx.RecvAsync();
            }

            await sender;
        };
        Rt.Run(runtime, () => run(100));
        long Measure(int steps)
        {
            long bytes = 0;
            runtime.BlockOn(async () =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                await run(steps);
                bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            });
            return bytes;
        }

        long small = Measure(500);
        long large = Measure(2_500);
        Assert.Equal(0, (large - small) / 2_000);
    }
}
