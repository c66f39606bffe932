namespace SpindleStreamTests.Adapters;

public sealed class AdapterTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Mpsc_ClosedAfterSends_YieldsAllThenEnds(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            tx.Send(1);
            tx.Send(2);
            tx.Send(3);
            tx.Dispose();
            Assert.Equal([1, 2, 3], await rx.ToAsyncEnumerable().ToListAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Mpsc_PendingStepPolledInsteadOfAwaited_CompletesWithTheItem(RuntimeFlavor flavor)
    {
        // A caller may poll IsCompleted and read the result without ever registering a continuation.
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            await using IAsyncEnumerator<int> e = rx.ToAsyncEnumerable().GetAsyncEnumerator();
            ValueTask<bool> next = e.MoveNextAsync();
            Assert.False(next.IsCompleted);
            tx.Send(7);
            while (!next.IsCompleted) // bounded by Rt.Run
            {
                await SpindleTask.YieldAsync();
            }

            Assert.True(next.Result);
            Assert.Equal(7, e.Current);
            tx.Dispose();
            Assert.False(await e.MoveNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Mpsc_EnumerationCancelled_MessageSentLaterStaysQueued(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            using var cts = new CancellationTokenSource();
            await using (IAsyncEnumerator<int> e = rx.ToAsyncEnumerable().GetAsyncEnumerator(cts.Token))
            {
                ValueTask<bool> pending = e.MoveNextAsync();
                cts.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            }

            tx.Send(7);
            Assert.Equal(TryRecvStatus.Received, rx.TryRecv(out int value));
            Assert.Equal(7, value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Broadcast_Lagged_ReportedAsItemAndStreamContinues(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Broadcast.Create<int>(2);
            for (int i = 1; i <= 4; i++)
            {
                tx.Send(i);
            }

            tx.Dispose();
            List<BroadcastResult<int>> items = await rx.ToAsyncEnumerable().ToListAsync();
            Assert.Equal(BroadcastStatus.Lagged, items[0].Status);
            Assert.Equal(2, items[0].LaggedBy);
            Assert.Equal([3, 4], items.Skip(1).Select(r => r.Value));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Watch_CurrentValueOrChangesOnly(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Watch.Create(1);
            WatchReceiver<int> changes = rx.Clone();
            await using IAsyncEnumerator<int> all = rx.ToAsyncEnumerable().GetAsyncEnumerator();
            await using IAsyncEnumerator<int> onlyChanges = changes.ToAsyncEnumerable(WatchStreamStart.ChangesOnly).GetAsyncEnumerator();
            Assert.True(await all.MoveNextAsync());
            Assert.Equal(1, all.Current);
            ValueTask<bool> next = onlyChanges.MoveNextAsync();
            Assert.False(next.IsCompleted);
            tx.Send(2);
            Assert.True(await Rt.Within(next.AsTask()));
            Assert.Equal(2, onlyChanges.Current);
            Assert.True(await all.MoveNextAsync());
            Assert.Equal(2, all.Current);
            tx.Dispose();
            Assert.False(await all.MoveNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Interval_PausedClock_TicksOnePeriodApart(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            Interval interval = Time.Interval(TimeSpan.FromSeconds(1));
            List<Instant> ticks = await interval.ToAsyncEnumerable().Take(3).ToListAsync();
            Assert.Equal(TimeSpan.FromSeconds(1), ticks[1] - ticks[0]);
            Assert.Equal(TimeSpan.FromSeconds(1), ticks[2] - ticks[1]);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void JoinSet_YieldsInCompletionOrder(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            using var set = new JoinSet<int>();
            var (goFirst, firstGate) = Oneshot.Create<int>();
            var (goSecond, secondGate) = Oneshot.Create<int>();
            set.Spawn(async () => { await firstGate.RecvAsync(); return 1; });
            set.Spawn(async () => { await secondGate.RecvAsync(); return 2; });
            await using IAsyncEnumerator<JoinResult<int>> e = set.ToAsyncEnumerable().GetAsyncEnumerator();
            goSecond.Send(0);
            Assert.True(await e.MoveNextAsync());
            Assert.Equal(2, e.Current.Value);
            goFirst.Send(0);
            Assert.True(await e.MoveNextAsync());
            Assert.Equal(1, e.Current.Value);
            Assert.False(await e.MoveNextAsync());
        });
    }

    [Fact]
    public async Task ReadLines_TextReaderAndStream()
    {
        Assert.Equal(["a", "b", ""], await new StringReader("a\nb\r\n\n").ReadLinesAsync().ToListAsync());
        using var stream = new MemoryStream("x\ny"u8.ToArray());
        Assert.Equal(["x", "y"], await stream.ReadLinesAsync().ToListAsync());
    }
}
