using System;
using System.Collections.Generic;
using System.Threading.Channels;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Streams;

namespace Spindle.Benchmarks;

/// <summary>
/// Throughput of merging 2 or 8 synchronous sources (<see cref="CountingStream"/>), 100 000 items per
/// operation in all; results are per item. Spindle: <see cref="AsyncStreams.Merge{T}(IAsyncEnumerable{T}[])"/>
/// enumerated by one task on a multi-thread runtime (2 workers). Baseline: the usual hand-written .NET
/// merge, one ThreadPool task per source pumping into one bounded System.Threading.Channels channel
/// (capacity <see cref="Capacity"/>, back-pressure like the merge's one item in flight per source),
/// read by the benchmark's own async method with <c>WaitToReadAsync</c>/<c>TryRead</c>.
/// </summary>
[MemoryDiagnoser]
public class StreamMerge
{
    private const int Items = 100_000;
    private const int Capacity = 1024;

    private Runtime _runtime = null!;
    private IAsyncEnumerable<int>[] _sources = null!;
    private Func<Task<long>> _spindle = null!;

    [Params(2, 8)]
    public int Sources { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();
        _sources = new IAsyncEnumerable<int>[Sources];
        for (int i = 0; i < Sources; i++)
        {
            _sources[i] = new CountingStream(Items / Sources);
        }

        IAsyncEnumerable<int> merged = AsyncStreams.Merge(_sources);
        _spindle = async () =>
        {
            long sum = 0;
            await foreach (int item in merged)
            {
                sum += item;
            }

            return sum;
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public async Task<long> ChannelsMerge()
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { SingleReader = true });
        ChannelWriter<int> writer = channel.Writer;
        var pumps = new Task[_sources.Length];
        for (int i = 0; i < pumps.Length; i++)
        {
            IAsyncEnumerable<int> source = _sources[i];
            pumps[i] = Task.Run(async () =>
            {
                await foreach (int item in source)
                {
                    while (!writer.TryWrite(item))
                    {
                        await writer.WaitToWriteAsync();
                    }
                }
            });
        }

        Task completion = Task.WhenAll(pumps).ContinueWith(
            static (all, w) => ((ChannelWriter<int>)w!).TryComplete(all.Exception),
            writer,
            TaskScheduler.Default);

        long sum = 0;
        ChannelReader<int> reader = channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out int item))
            {
                sum += item;
            }
        }

        await completion;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public long SpindleMerge() => _runtime.BlockOn(_spindle);
}
