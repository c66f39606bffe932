using System;
using System.Threading.Channels;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's benches/sync_mpsc.rs: <c>contention_bounded</c> (5 producers × 1 000 messages,
/// capacity 1 000 000), <c>contention_bounded_full</c> (capacity 100, so producers wait for room),
/// <c>contention_unbounded</c>, and the <c>uncontended_*</c> pair (one task sends 1 000, then receives
/// 1 000). Every workload runs on the same Spindle multi-thread runtime (2 workers); the baseline of
/// each pair does the same with System.Threading.Channels (SingleReader = true), so the difference is
/// the channel, not the scheduler. As in tokio, each iteration creates its channel and spawns its producers.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SyncMpsc
{
    private const int Producers = 5;
    private const int PerProducer = 1_000;
    private const int Uncontended = 1_000;
    private const int LargeCapacity = 1_000_000;
    private const int FullCapacity = 100;

    private Runtime _runtime = null!;

    [GlobalSetup]
    public void Setup() => _runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("contention_bounded")]
    public void ContentionBoundedChannels() => _runtime.BlockOn(() => ChannelsContentionAsync(BoundedChannel(LargeCapacity)));

    [Benchmark]
    [BenchmarkCategory("contention_bounded")]
    public void ContentionBoundedSpindle() => _runtime.BlockOn(() => SpindleContentionBoundedAsync(LargeCapacity));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("contention_bounded_full")]
    public void ContentionBoundedFullChannels() => _runtime.BlockOn(() => ChannelsContentionAsync(BoundedChannel(FullCapacity)));

    [Benchmark]
    [BenchmarkCategory("contention_bounded_full")]
    public void ContentionBoundedFullSpindle() => _runtime.BlockOn(() => SpindleContentionBoundedAsync(FullCapacity));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("contention_unbounded")]
    public void ContentionUnboundedChannels() => _runtime.BlockOn(() => ChannelsContentionAsync(UnboundedChannel()));

    [Benchmark]
    [BenchmarkCategory("contention_unbounded")]
    public void ContentionUnboundedSpindle() => _runtime.BlockOn(SpindleContentionUnboundedAsync);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("uncontended_bounded")]
    public void UncontendedBoundedChannels() => _runtime.BlockOn(() => ChannelsUncontendedAsync(BoundedChannel(LargeCapacity)));

    [Benchmark]
    [BenchmarkCategory("uncontended_bounded")]
    public void UncontendedBoundedSpindle() => _runtime.BlockOn(SpindleUncontendedBoundedAsync);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("uncontended_unbounded")]
    public void UncontendedUnboundedChannels() => _runtime.BlockOn(() => ChannelsUncontendedAsync(UnboundedChannel()));

    [Benchmark]
    [BenchmarkCategory("uncontended_unbounded")]
    public void UncontendedUnboundedSpindle() => _runtime.BlockOn(SpindleUncontendedUnboundedAsync);

    private static Channel<int> BoundedChannel(int capacity) =>
        Channel.CreateBounded<int>(new BoundedChannelOptions(capacity) { SingleReader = true });

    private static Channel<int> UnboundedChannel() =>
        Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true });

    private static async Task ChannelsContentionAsync(Channel<int> channel)
    {
        ChannelWriter<int> writer = channel.Writer;
        for (int p = 0; p < Producers; p++)
        {
            _ = SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < PerProducer; i++)
                {
                    await writer.WriteAsync(i);
                }
            });
        }

        ChannelReader<int> reader = channel.Reader;
        for (int i = 0; i < Producers * PerProducer; i++)
        {
            await reader.ReadAsync();
        }
    }

    private static async Task SpindleContentionBoundedAsync(int capacity)
    {
        var (tx, rx) = Mpsc.Bounded<int>(capacity);
        using (tx)
        {
            for (int p = 0; p < Producers; p++)
            {
                MpscSender<int> mine = tx.Clone();
                _ = SpindleTask.Spawn(async () =>
                {
                    using (mine)
                    {
                        for (int i = 0; i < PerProducer; i++)
                        {
                            await mine.SendAsync(i);
                        }
                    }
                });
            }
        }

        for (int i = 0; i < Producers * PerProducer; i++)
        {
            await rx.RecvAsync();
        }
    }

    private static async Task SpindleContentionUnboundedAsync()
    {
        var (tx, rx) = Mpsc.Unbounded<int>();
        using (tx)
        {
            for (int p = 0; p < Producers; p++)
            {
                UnboundedSender<int> mine = tx.Clone();
                _ = SpindleTask.Spawn(() =>
                {
                    using (mine)
                    {
                        for (int i = 0; i < PerProducer; i++)
                        {
                            mine.Send(i);
                        }
                    }

                    return Task.CompletedTask;
                });
            }
        }

        for (int i = 0; i < Producers * PerProducer; i++)
        {
            await rx.RecvAsync();
        }
    }

    private static async Task ChannelsUncontendedAsync(Channel<int> channel)
    {
        for (int i = 0; i < Uncontended; i++)
        {
            await channel.Writer.WriteAsync(i);
        }

        for (int i = 0; i < Uncontended; i++)
        {
            await channel.Reader.ReadAsync();
        }
    }

    private static async Task SpindleUncontendedBoundedAsync()
    {
        var (tx, rx) = Mpsc.Bounded<int>(LargeCapacity);
        using (tx)
        {
            for (int i = 0; i < Uncontended; i++)
            {
                await tx.SendAsync(i);
            }

            for (int i = 0; i < Uncontended; i++)
            {
                await rx.RecvAsync();
            }
        }
    }

    private static async Task SpindleUncontendedUnboundedAsync()
    {
        var (tx, rx) = Mpsc.Unbounded<int>();
        using (tx)
        {
            for (int i = 0; i < Uncontended; i++)
            {
                tx.Send(i);
            }

            for (int i = 0; i < Uncontended; i++)
            {
                await rx.RecvAsync();
            }
        }
    }
}
