using System.Runtime.CompilerServices;
namespace SpindleStreamTests.Combinators;

public sealed class CombinatorTests
{
    private static MpscReceiver<int> Preloaded(params int[] values)
    {
        var (tx, rx) = Mpsc.Unbounded<int>();
        foreach (int v in values)
        {
            tx.Send(v);
        }

        tx.Dispose();
        return rx;
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Merge_BothAlwaysReady_Alternates(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            MpscReceiver<int> a = Preloaded(1, 3, 5, 7);
            MpscReceiver<int> b = Preloaded(2, 4, 6, 8);
            List<int> merged = await a.ToAsyncEnumerable().Merge(b.ToAsyncEnumerable()).ToListAsync();
            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], merged);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Merge_Many_NoneStarves(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            MpscReceiver<int>[] sources = [Preloaded(10, 11), Preloaded(20, 21), Preloaded(30, 31)];
            List<int> merged = await AsyncStreams.Merge(sources.Select(s => s.ToAsyncEnumerable())).ToListAsync();
            Assert.Equal([10, 20, 30, 11, 21, 31], merged);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Merge_Cancelled_NothingTakenIsLost_SourcesReleased(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (txA, a) = Mpsc.Unbounded<int>();
            var (txB, b) = Mpsc.Unbounded<int>();
            for (int i = 0; i < 10; i++)
            {
                txA.Send(i);
                txB.Send(100 + i);
            }

            using var cts = new CancellationTokenSource();
            var seen = new List<int>();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (int item in a.ToAsyncEnumerable().Merge(b.ToAsyncEnumerable()).WithCancellation(cts.Token))
                {
                    seen.Add(item);
                    if (seen.Count == 3)
                    {
                        cts.Cancel();
                    }
                }
            });

            // Both receivers are free again (one receive at a time), and every message is either seen or still queued.
            txA.Dispose();
            txB.Dispose();
            seen.AddRange(await a.ToAsyncEnumerable().ToListAsync());
            seen.AddRange(await b.ToAsyncEnumerable().ToListAsync());
            Assert.Equal(Enumerable.Range(0, 10).Concat(Enumerable.Range(100, 10)).Order(), seen.Order());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Merge_Break_PendingReadsCancelled_ReceiversReusable(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (txA, a) = Mpsc.Unbounded<int>();
            var (txB, b) = Mpsc.Unbounded<int>();
            txA.Send(1);
            await foreach (int item in a.ToAsyncEnumerable().Merge(b.ToAsyncEnumerable()))
            {
                Assert.Equal(1, item);
                break;
            }

            txB.Send(2);
            Assert.Equal(TryRecvStatus.Received, b.TryRecv(out int value));
            Assert.Equal(2, value);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void StreamMap_YieldsKeys_RemoveWhilePending_ReleasesSource(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (txA, a, txB, map, enumerator) = await MapOfTwoWithBsFirstItemTaken();
            await using (IAsyncEnumerator<KeyValuePair<string, int>> e = enumerator)
            {
                Assert.True(map.Remove("a")); // its read is pending on an empty channel
                Assert.False(map.ContainsKey("a"));
                txA.Send(99); // after removal: must stay in the channel
                txB.Send(2);
                Assert.True(await e.MoveNextAsync());
                Assert.Equal(new KeyValuePair<string, int>("b", 2), e.Current);

                var (txC, c) = Mpsc.Unbounded<int>();
                map.Add("c", c.ToAsyncEnumerable());
                txC.Send(3);
                Assert.True(await e.MoveNextAsync());
                Assert.Equal(new KeyValuePair<string, int>("c", 3), e.Current);
                txC.Dispose();
                txB.Dispose();
                Assert.False(await e.MoveNextAsync()); // both ended: the map is empty
                Assert.Equal(0, map.Count);
            }

            Assert.Equal(TryRecvStatus.Received, a.TryRecv(out int kept));
            Assert.Equal(99, kept);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void StreamMap_EnumeratorDisposedBeforeItsFirstStep_LeavesTheMapFree(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var map = new StreamMap<int, int>();
            map.Add(1, Preloaded(7).ToAsyncEnumerable());
            await map.GetAsyncEnumerator().DisposeAsync();
            Assert.Equal([new KeyValuePair<int, int>(1, 7)], await map.ToListAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void StreamMap_RemoveThenAddTheSameReceiver_KeepsReadingIt(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (txA, a, txB, map, enumerator) = await MapOfTwoWithBsFirstItemTaken();
            await using IAsyncEnumerator<KeyValuePair<string, int>> e = enumerator;
            // The receiver comes back under another key.
            Assert.True(map.Remove("a"));
            map.Add("a again", a.ToAsyncEnumerable());
            txA.Send(5);
            Assert.True(await Rt.Within(e.MoveNextAsync().AsTask()));
            Assert.Equal(new KeyValuePair<string, int>("a again", 5), e.Current);
            txA.Dispose();
            txB.Dispose();
            Assert.False(await e.MoveNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void StreamMap_TwoSourcesFail_TheFirstErrorEnds_EverySourceIsDisposed(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var disposed = new List<string>();
            var map = new StreamMap<string, int>();
            map.Add("fails", Failing("fails", new InvalidOperationException("the first failure"), disposed, atOnce: true));
            map.Add("fails when cancelled", Failing("fails when cancelled", new IOException("a later failure"), disposed, atOnce: false));
            map.Add("quiet", Failing("quiet", null, disposed, atOnce: false));
            InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await map.ToListAsync());
            Assert.Equal("the first failure", error.Message);
            Assert.Equal(["fails", "fails when cancelled", "quiet"], disposed.Order());
            // Nothing is left claimed: the map can be enumerated again.
            Assert.True(map.Remove("fails"));
            Assert.True(map.Remove("fails when cancelled"));
            Assert.True(map.Remove("quiet"));
            Assert.Empty(await map.ToListAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Merge_Break_DisposesAnItemProducedButNotYielded(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (txA, a) = Mpsc.Unbounded<Tracked>();
            var (txB, b) = Mpsc.Unbounded<Tracked>();
            var first = new Tracked();
            var second = new Tracked();
            txA.Send(first);
            txB.Send(second);
            await foreach (Tracked item in a.ToAsyncEnumerable().Merge(b.ToAsyncEnumerable()))
            {
                Assert.Same(first, item);
                break;
            }

            // The other source had produced its item (a ready channel answers at once); nobody owns it now.
            Assert.True(second.IsDisposed);
            Assert.False(first.IsDisposed);
            txA.Dispose();
            txB.Dispose();

            // A watch's value is shared with its sender and every receiver: dropped, but never disposed.
            var shared = new Tracked();
            var (watchTx, watchRx) = Watch.Create(shared);
            var (txC, c) = Mpsc.Unbounded<Tracked>();
            var third = new Tracked();
            txC.Send(third);
            await foreach (Tracked item in c.ToAsyncEnumerable().Merge(watchRx.ToAsyncEnumerable()))
            {
                Assert.Same(third, item);
                break;
            }

            Assert.False(shared.IsDisposed);
            txC.Dispose();
            watchTx.Dispose();
        });
    }

    [Fact]
    public void ConcurrentMoveNextAsync_ThrowsClearly_TheFirstStepStillCompletes()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            await using IAsyncEnumerator<int> e = AsyncStreams.Merge([rx.ToAsyncEnumerable()]).GetAsyncEnumerator();
            ValueTask<bool> pending = e.MoveNextAsync();
            Assert.False(pending.IsCompleted);
            InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => { _ = e.MoveNextAsync(); });
            Assert.Contains("one step at a time", error.Message, StringComparison.Ordinal);
            tx.Send(4);
            Assert.True(await Rt.Within(pending.AsTask()));
            Assert.Equal(4, e.Current);
            tx.Dispose();
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void StreamMap_SecondEnumeration_Throws(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var map = new StreamMap<int, int>();
            map.Add(1, Preloaded(1).ToAsyncEnumerable());
            await using IAsyncEnumerator<KeyValuePair<int, int>> e = map.GetAsyncEnumerator();
            Assert.True(await e.MoveNextAsync());
            // The first step claims the map: a second enumeration's first step throws.
            await using IAsyncEnumerator<KeyValuePair<int, int>> second = map.GetAsyncEnumerator();
            InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await second.MoveNextAsync());
            Assert.Contains("one consumer at a time", error.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => map.Add(1, Preloaded().ToAsyncEnumerable()));
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_OneMarkerPerGap_StreamContinues(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            Instant start = Time.Now;
            await using IAsyncEnumerator<TimeoutItem<int>> e = rx.ToAsyncEnumerable().Timeout(TimeSpan.FromSeconds(5)).GetAsyncEnumerator();
            Assert.True(await e.MoveNextAsync()); // the clock auto-advances to the deadline
            Assert.True(e.Current.IsElapsed);
            Assert.Equal(TimeSpan.FromSeconds(5), Time.Now - start);
            ValueTask<bool> next = e.MoveNextAsync();
            await Time.AdvanceAsync(TimeSpan.FromSeconds(60)); // no second marker in the same gap
            Assert.False(next.IsCompleted);
            tx.Send(1);
            Assert.True(await Rt.Within(next.AsTask()));
            Assert.Equal(1, e.Current.Value);
            tx.Dispose();
            Assert.False(await e.MoveNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TimeoutRepeating_MarkerEveryPeriod(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            Instant start = Time.Now;
            List<TimeoutItem<int>> items = await rx.ToAsyncEnumerable().TimeoutRepeating(TimeSpan.FromSeconds(2)).Take(3).ToListAsync();
            Assert.All(items, i => Assert.True(i.IsElapsed));
            Assert.Equal(TimeSpan.FromSeconds(6), Time.Now - start);
            tx.Dispose();
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Throttle_SpacesItemsOnTheRuntimeClock_NoneDropped(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            var times = new List<Instant>();
            var values = new List<int>();
            await foreach (int v in Preloaded(1, 2, 3).ToAsyncEnumerable().Throttle(TimeSpan.FromSeconds(1)))
            {
                values.Add(v);
                times.Add(Time.Now);
            }

            Assert.Equal([1, 2, 3], values);
            Assert.Equal(TimeSpan.FromSeconds(1), times[1] - times[0]);
            Assert.Equal(TimeSpan.FromSeconds(1), times[2] - times[1]);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ChunksTimeout_FullOrDeadline_PartialAtEnd(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            await using IAsyncEnumerator<IReadOnlyList<int>> e = rx.ToAsyncEnumerable().ChunksTimeout(3, TimeSpan.FromSeconds(10)).GetAsyncEnumerator();
            tx.Send(1);
            tx.Send(2);
            tx.Send(3);
            tx.Send(4);
            Instant start = Time.Now;
            Assert.True(await e.MoveNextAsync());
            Assert.Equal([1, 2, 3], e.Current); // full: no waiting
            Assert.Equal(start, Time.Now);
            Assert.True(await e.MoveNextAsync()); // [4] waits out the deadline
            Assert.Equal([4], e.Current);
            Assert.Equal(TimeSpan.FromSeconds(10), Time.Now - start);
            tx.Send(5);
            tx.Dispose();
            Assert.True(await e.MoveNextAsync());
            Assert.Equal([5], e.Current);
            Assert.False(await e.MoveNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ChunksTimeout_Cancelled_PartialChunkYieldedThenThrows(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            using var cts = new CancellationTokenSource();
            await using IAsyncEnumerator<IReadOnlyList<int>> e = rx.ToAsyncEnumerable().ChunksTimeout(10, TimeSpan.FromHours(1)).GetAsyncEnumerator(cts.Token);
            tx.Send(1);
            ValueTask<bool> next = e.MoveNextAsync();
            await SpindleTask.YieldAsync();
            cts.Cancel();
            Assert.True(await Rt.Within(next.AsTask()));
            Assert.Equal([1], e.Current);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await e.MoveNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ChunksTimeout_CancelledAsItsTimerIsSet_PartialChunkYieldedThenThrows(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            using var cts = new CancellationTokenSource();
            // The source's second read cancels the token as it starts, and ends later: the combinator has
            // buffered 1 and, the read being still out, sets its chunk timer with the token already fired.
            await using IAsyncEnumerator<IReadOnlyList<int>> e = CancelsOnSecondRead(cts).ChunksTimeout(10, TimeSpan.FromHours(1)).GetAsyncEnumerator(cts.Token);
            Assert.True(await Rt.Within(e.MoveNextAsync().AsTask()));
            Assert.Equal([1], e.Current);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await e.MoveNextAsync());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void NotifyClose_AddsOneEndMarker(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            List<RecvResult<int>> items = await Preloaded(1, 2).ToAsyncEnumerable().NotifyClose().ToListAsync();
            Assert.Equal([true, true, false], items.Select(i => i.HasValue));
            Assert.Equal(2, items[1].Value);
        });
    }

    private static async IAsyncEnumerable<int> CancelsOnSecondRead(CancellationTokenSource cts, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return 1;
        // Synchronous, so the combinator's linked token has fired when this read returns pending.
#pragma warning disable CA1849 // Cancel (not CancelAsync) is the point: the callbacks run before this returns.
        cts.Cancel();
#pragma warning restore CA1849
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        yield return 2;
    }

    /// <summary>A source that fails at its first read (<paramref name="atOnce"/>), or waits until cancelled and then fails (or, with no error, ends as cancelled); it records its disposal.</summary>
    private static async IAsyncEnumerable<int> Failing(string name, Exception? error, List<string> disposed, bool atOnce, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            if (!atOnce)
            {
                var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using CancellationTokenRegistration registration = cancellationToken.Register(cancelled.SetResult);
                await cancelled.Task;
                if (error is null)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            else
            {
                await Task.Yield();
            }

            throw error!;
#pragma warning disable CS0162 // An iterator needs a yield; the source never produces.
            yield break;
#pragma warning restore CS0162
        }
        finally
        {
            lock (disposed)
            {
                disposed.Add(name);
            }
        }
    }

    private sealed class Tracked : IDisposable
    {
        public bool IsDisposed { get; private set; }

        public void Dispose() => IsDisposed = true;
    }

    /// <summary>Two empty channels in a map under "a" and "b", enumerated, with b's first item (1) taken: a's read is pending.</summary>
    private static async Task<(UnboundedSender<int> TxA, MpscReceiver<int> A, UnboundedSender<int> TxB, StreamMap<string, int> Map, IAsyncEnumerator<KeyValuePair<string, int>> E)> MapOfTwoWithBsFirstItemTaken()
    {
        var (txA, a) = Mpsc.Unbounded<int>();
        var (txB, b) = Mpsc.Unbounded<int>();
        var map = new StreamMap<string, int>();
        map.Add("a", a.ToAsyncEnumerable());
        map.Add("b", b.ToAsyncEnumerable());
        IAsyncEnumerator<KeyValuePair<string, int>> e = map.GetAsyncEnumerator();
        txB.Send(1);
        Assert.True(await e.MoveNextAsync());
        Assert.Equal(new KeyValuePair<string, int>("b", 1), e.Current);
        return (txA, a, txB, map, e);
    }
}
