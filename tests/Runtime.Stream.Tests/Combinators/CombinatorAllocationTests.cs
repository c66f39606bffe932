namespace SpindleStreamTests.Combinators;

/// <summary>
/// Steady-state allocation of the combinators per item (see <see cref="Allocation"/>): the per-run
/// setup (enumerators, the merge's map and readers, the linked cancellation sources) cancels out, so
/// what is left is what one more item costs. Current-thread runtime only: the measurement sees the
/// BlockOn thread's allocations.
/// </summary>
public sealed class CombinatorAllocationTests
{
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
        Assert.Equal(ChunkArrayBytes(), perChunk);
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
