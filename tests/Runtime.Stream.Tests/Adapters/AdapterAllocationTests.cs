namespace SpindleStreamTests.Adapters;

/// <summary>Steady-state allocation of the adapters per item (see <see cref="Allocation"/>); current-thread runtime only.</summary>
public sealed class AdapterAllocationTests
{
    [Fact]
    public void Mpsc_ConsumerWaitsForEveryItem_AllocatesNothingPerItem()
    {
        // Capacity 1 and a producer task: the consumer's MoveNextAsync is pending for every item, so
        // every item resumes it through the stream's post rather than completing at once.
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        long perItem = Allocation.BytesPerStep(runtime, async steps =>
        {
            var (tx, rx) = Mpsc.Bounded<int>(1);
            JoinHandle producer = SpindleTask.Spawn(async () =>
            {
                using (tx)
                {
                    for (int i = 0; i < steps; i++)
                    {
                        await tx.SendAsync(i);
                    }
                }
            });
            await foreach (int item in rx.ToAsyncEnumerable())
            {
                _ = item;
            }

            await producer;
        });
        Assert.Equal(0, perItem);
    }
}
