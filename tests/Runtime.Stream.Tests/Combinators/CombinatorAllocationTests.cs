namespace SpindleStreamTests.Combinators;

/// <summary>
/// Steady-state allocation of the combinators per item (see <see cref="Allocation"/>): the per-run
/// setup (enumerators, the merge's map and readers, the linked cancellation sources) cancels out, so
/// what is left is what one more item costs. Current-thread runtime only: the measurement sees the
/// BlockOn thread's allocations. The "waiting" cases make the consumer wait for its sources, which is
/// where a compiler-generated iterator would allocate a SendOrPostCallback per wake-up had the stream
/// not been wrapped in the package's ContextEnumerator.
/// </summary>
public sealed class CombinatorAllocationTests
{
    // Chunks are counted per item beyond their own array: (bytes per chunk - array bytes) / ChunkSize.
    // The helper's difference of two runs is not always a whole multiple of the array (one-off
    // allocations differ by a few bytes between runs), so the array is not asserted to the byte.
    private const int ChunkSize = 64;

    [Fact]
    public void Merge_TwoReadySources_AllocatesNothingPerItem()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long perItem = Allocation.BytesPerStep(runtime, async steps =>
        {
            // One step = one item from each source.
            await foreach (int item in new Counter(steps).Merge(new Counter(steps)))
            {
                _ = item;
            }
        });
        Assert.Equal(0, perItem);
    }

    [Fact]
    public void Merge_TwoWaitingSources_AllocatesNothingPerItem()
    {
        // Capacity-1 channels fed by producer tasks: the merge waits for its sources' reads, so the
        // pending-read callbacks and the ready queue's wake-ups are exercised.
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long perItem = Allocation.BytesPerStep(runtime, async steps =>
        {
            var (txA, a) = Mpsc.Bounded<int>(1);
            var (txB, b) = Mpsc.Bounded<int>(1);
            JoinHandle producerA = SpindleTask.Spawn(() => ProduceAsync(txA, steps));
            JoinHandle producerB = SpindleTask.Spawn(() => ProduceAsync(txB, steps));
            await foreach (int item in a.ToAsyncEnumerable().Merge(b.ToAsyncEnumerable()))
            {
                _ = item;
            }

            await producerA;
            await producerB;
        });
        Assert.Equal(0, perItem);
    }

    [Fact]
    public void ChunksTimeout_ReadySource_AllocatesOnlyTheChunkArray()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long perChunk = Allocation.BytesPerStep(runtime, async steps =>
        {
            // One step = one full chunk; the deadline is far enough that chunks fill by size.
            await foreach (IReadOnlyList<int> chunk in new Counter(steps * ChunkSize).ChunksTimeout(ChunkSize, TimeSpan.FromHours(1)))
            {
                _ = chunk;
            }
        });
        Assert.Equal(0, (perChunk - ChunkArrayBytes()) / ChunkSize);
    }

    [Fact]
    public void ChunksTimeout_WaitingSource_AllocatesOnlyTheChunkArray()
    {
        // A capacity-1 channel fed by a producer task: every item is waited for with a chunk open, so
        // the deadline timer is armed and re-armed while the read is pending.
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long perChunk = Allocation.BytesPerStep(runtime, async steps =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(1);
            JoinHandle producer = SpindleTask.Spawn(() => ProduceAsync(tx, steps * ChunkSize));
            await foreach (IReadOnlyList<int> chunk in rx.ToAsyncEnumerable().ChunksTimeout(ChunkSize, TimeSpan.FromHours(1)))
            {
                _ = chunk;
            }

            await producer;
        });
        Assert.Equal(0, (perChunk - ChunkArrayBytes()) / ChunkSize);
    }

    private static async Task ProduceAsync(MpscSender<int> tx, int count)
    {
        using (tx)
        {
            for (int i = 0; i < count; i++)
            {
                await tx.SendAsync(i);
            }
        }
    }

    /// <summary>What the runtime allocates for one chunk (an exact-size array), measured rather than assumed.</summary>
    private static long ChunkArrayBytes()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        int[] chunk = new int[ChunkSize];
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(chunk);
        return bytes;
    }

    /// <summary>A synchronous source: 0, 1, … count-1, every MoveNextAsync completes at once without allocating.</summary>
    private sealed class Counter(int count) : IAsyncEnumerable<int>
    {
        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(count);

        private sealed class Enumerator(int count) : IAsyncEnumerator<int>
        {
            public int Current { get; private set; } = -1;

            public ValueTask<bool> MoveNextAsync() => new(++Current < count);

            public ValueTask DisposeAsync() => default;
        }
    }
}
