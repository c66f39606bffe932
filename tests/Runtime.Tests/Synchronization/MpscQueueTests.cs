using System.Reflection;
using System.Runtime.CompilerServices;
using Spindle.Sync;

namespace SpindleTests.Synchronization;

/// <summary>The lock-free segment queue under the mpsc channel, tested on its own.</summary>
public sealed class MpscQueueTests
{
    private const long None = 0;

    [Fact]
    public void EnqueueThenDequeue_AcrossSegments_KeepsOrder()
    {
        var queue = new MpscQueue<string>();
        Assert.False(queue.TryDequeue(out _));
        Assert.True(queue.IsDrained);
        for (int i = 0; i < 5 * MpscSegment<string>.Capacity + 3; i++)
        {
            Assert.True(queue.TryEnqueue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), None));
        }

        Assert.Equal(5 * MpscSegment<string>.Capacity + 3, queue.Count);
        Assert.True(queue.HasReady);
        for (int i = 0; i < 5 * MpscSegment<string>.Capacity + 3; i++)
        {
            Assert.True(queue.TryDequeue(out string? value));
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), value);
        }

        Assert.False(queue.HasReady);
        Assert.False(queue.TryDequeue(out _));
        Assert.True(queue.IsDrained);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void SteadyState_RecyclesSegments_AllocatesNothing()
    {
        var queue = new MpscQueue<int>();
        // Batches longer than a segment, so every batch crosses segment boundaries and needs recycling.
        int batch = MpscSegment<int>.Capacity + 7;
        int misordered = 0;
        void Run(int rounds)
        {
            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < batch; i++)
                {
                    queue.TryEnqueue(i, None);
                }

                // No Assert in the loop: the assertion library allocates.
                for (int i = 0; i < batch; i++)
                {
                    if (!queue.TryDequeue(out int value) || value != i)
                    {
                        misordered++;
                    }
                }
            }
        }

        Run(100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, misordered);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Seal_ClosedRefusesPlainSends_DisposedRefusesAll_DrainDropsTheRest()
    {
        var queue = new MpscQueue<int>();
        Assert.True(queue.TryEnqueue(1, MpscQueue<int>.Closed));
        Assert.False(queue.IsSealed);
        queue.Seal(MpscQueue<int>.Closed);
        Assert.True(queue.IsSealed);
        Assert.False(queue.TryEnqueue(2, MpscQueue<int>.Closed | MpscQueue<int>.Disposed));
        // A permit send honours only the disposed flag.
        Assert.True(queue.TryEnqueue(3, MpscQueue<int>.Disposed));
        Assert.Equal(2, queue.Count);
        queue.Seal(MpscQueue<int>.Disposed);
        Assert.False(queue.TryEnqueue(4, MpscQueue<int>.Disposed));
        Assert.Equal(2, queue.Drain());
        Assert.True(queue.IsDrained);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void SendsThatRacedTheSeal_AreSkipped_TheRestArriveInOrder()
    {
        // A send that read the seal hint before Seal but claimed its position after it: the claim's
        // flags refuse it and its slot is skipped. Simulated by clearing the hint after sealing.
        var queue = new MpscQueue<int>();
        for (int i = 0; i < MpscSegment<int>.Capacity - 2; i++)
        {
            Assert.True(queue.TryEnqueue(i, None));
        }

        queue.Seal(MpscQueue<int>.Closed);
        ClearSealHint(queue);
        // Three refused claims: they straddle the first segment's end, so the skip walk crosses a segment.
        for (int i = 0; i < 3; i++)
        {
            Assert.False(queue.TryEnqueue(-1, MpscQueue<int>.Closed | MpscQueue<int>.Disposed));
        }

        // A permit send after Close still claims a position and delivers.
        Assert.True(queue.TryEnqueue(1000, MpscQueue<int>.Disposed));
        Assert.Equal(MpscSegment<int>.Capacity + 2, queue.Count);
        for (int i = 0; i < MpscSegment<int>.Capacity - 2; i++)
        {
            Assert.True(queue.TryDequeue(out int value));
            Assert.Equal(i, value);
        }

        // Only skips and the permit's message are left: the next message is there, the queue is not drained.
        Assert.True(queue.HasReady);
        Assert.False(queue.IsDrained);
        Assert.True(queue.TryDequeue(out int last));
        Assert.Equal(1000, last);
        Assert.False(queue.HasReady);
        Assert.True(queue.IsDrained);
        Assert.False(queue.TryDequeue(out _));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void SkipsAtTheEnd_CountAsDrained_AndDrainCountsOnlyMessages()
    {
        var queue = new MpscQueue<string>();
        Assert.True(queue.TryEnqueue("a", None));
        Assert.True(queue.TryEnqueue("b", None));
        queue.Seal(MpscQueue<string>.Closed | MpscQueue<string>.Disposed);
        ClearSealHint(queue);
        Assert.False(queue.TryEnqueue("refused", MpscQueue<string>.Disposed));
        Assert.False(queue.IsDrained);
        Assert.Equal(2, queue.Drain());
        Assert.True(queue.IsDrained);
        Assert.False(queue.HasReady);

        var other = new MpscQueue<string>();
        Assert.True(other.TryEnqueue("a", None));
        other.Seal(MpscQueue<string>.Closed);
        ClearSealHint(other);
        Assert.False(other.TryEnqueue("refused", MpscQueue<string>.Closed));
        Assert.True(other.TryDequeue(out string? only));
        Assert.Equal("a", only);
        // Nothing but a skip is left: drained for the receiver's end-of-stream check, nothing to take.
        Assert.True(other.IsDrained);
        Assert.False(other.HasReady);
        Assert.False(other.TryDequeue(out _));
    }

    [Fact]
    public void SealedQueue_RefusesWithoutClaiming()
    {
        var queue = new MpscQueue<int>();
        queue.Seal(MpscQueue<int>.Closed);
        for (int i = 0; i < 3 * MpscSegment<int>.Capacity; i++)
        {
            Assert.False(queue.TryEnqueue(i, MpscQueue<int>.Closed));
        }

        // The hint refused them before any claim: no skipped slots to step over, nothing allocated for them.
        Assert.Equal(0, queue.Count);
        Assert.True(queue.IsDrained);
    }

    [Fact]
    public void ConcurrentProducers_EveryItemOnce_InEachProducersOrder()
    {
        const int Producers = 4;
        const int PerProducer = 200_000;
        var queue = new MpscQueue<long>();
        using var start = new Barrier(Producers + 1);
        var threads = new Thread[Producers];
        for (int p = 0; p < Producers; p++)
        {
            long producer = p;
            threads[p] = new Thread(() =>
            {
                start.SignalAndWait();
                for (long i = 0; i < PerProducer; i++)
                {
                    Assert.True(queue.TryEnqueue((producer << 32) | i, None));
                }
            });
            threads[p].Start();
        }

        start.SignalAndWait();
        long[] expected = new long[Producers];
        int received = 0;
        var spinner = default(SpinWait);
        var timeout = System.Diagnostics.Stopwatch.StartNew();
        while (received < Producers * PerProducer)
        {
            if (queue.TryDequeue(out long item))
            {
                int producer = (int)(item >> 32);
                Assert.Equal(expected[producer], item & uint.MaxValue);
                expected[producer]++;
                received++;
                spinner = default;
            }
            else
            {
                Assert.True(timeout.Elapsed < TimeSpan.FromMinutes(1), $"stalled after {received} items");
                spinner.SpinOnce();
            }
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(expected, count => Assert.Equal(PerProducer, count));
        Assert.True(queue.IsDrained);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void ConcurrentProducers_ConsumerKeepingUp_RecyclesSegments()
    {
        // The consumer stays close behind two producers, so reclaimed segments go back to the end of the
        // list; allocation stays far below one new segment per segment's worth of messages.
        const int PerProducer = 100_000;
        var queue = new MpscQueue<int>();
        long allocated = 0;
        var producers = new Thread[2];
        for (int p = 0; p < producers.Length; p++)
        {
            producers[p] = new Thread(() =>
            {
                // Only producers allocate segments (the consumer recycles), so their own counts are the total.
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < PerProducer; i++)
                {
                    queue.TryEnqueue(i, None);
                    // Keeps the queue short: this test is about reuse, not about a backlog.
                    while (queue.Count > MpscSegment<int>.Capacity * 4)
                    {
                        Thread.Yield();
                    }
                }

                Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            });
            producers[p].Start();
        }

        int received = 0;
        while (received < producers.Length * PerProducer)
        {
            if (queue.TryDequeue(out _))
            {
                received++;
            }
            else
            {
                Thread.Yield();
            }
        }

        foreach (Thread producer in producers)
        {
            producer.Join();
        }

        long segmentsAllocated = Interlocked.Read(ref allocated) / (MpscSegment<int>.Capacity * Unsafe.SizeOf<MpscSegment<int>.Slot>());
        Assert.True(segmentsAllocated < producers.Length * PerProducer / MpscSegment<int>.Capacity / 10, $"about {segmentsAllocated} segments allocated");
    }

    [Fact]
    public void SegmentCapacity_IsAPowerOfTwo_AndSmallValuesGetLargeSegmentsWithinTwoKilobytes()
    {
        // Positions map to (segment, slot) by masking, so every capacity must be a power of two.
        AssertSegment<byte>(128);
        AssertSegment<int>(128);
        AssertSegment<long>(128);
        AssertSegment<string>(128);
        AssertSegment<(long, long)>(64);
        AssertSegment<(long, long, long, long, long)>(32);

        static void AssertSegment<T>(int expected)
        {
            int capacity = MpscSegment<T>.Capacity;
            Assert.Equal(expected, capacity);
            Assert.Equal(capacity - 1, MpscSegment<T>.OffsetMask);
            Assert.Equal(capacity, new MpscSegment<T>(0).Slots.Length);
            if (Unsafe.SizeOf<MpscSegment<T>.Slot>() <= 32)
            {
                Assert.True(capacity * Unsafe.SizeOf<MpscSegment<T>.Slot>() <= 2048, $"{typeof(T).Name}: {capacity} slots of {Unsafe.SizeOf<MpscSegment<T>.Slot>()} B");
            }
        }
    }

    private static void ClearSealHint<T>(MpscQueue<T> queue) =>
        typeof(MpscQueue<T>).GetField("_sealHint", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(queue, 0L);
}
