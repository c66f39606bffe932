using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Streams;

namespace Spindle.Benchmarks;

/// <summary>
/// Throughput of batching a synchronous source (<see cref="CountingStream"/>, 100 000 items per
/// operation) into chunks of <see cref="ChunkSize"/> with a deadline long enough that every chunk fills
/// by size; results are per item, and both sides allocate each chunk as an exact-size array.
/// Spindle: <see cref="StreamExtensions.ChunksTimeout{T}"/> enumerated by one task on a multi-thread
/// runtime (2 workers). Baseline: the usual hand-written .NET batcher, a ThreadPool task pumping the
/// source into a bounded System.Threading.Channels channel, and a reader that fills a list with
/// <c>TryRead</c> and, when it has to wait with a chunk open, races <c>WaitToReadAsync</c> against one
/// <c>Task.Delay</c> per chunk (<c>Task.WhenAny</c>).
/// </summary>
[MemoryDiagnoser]
public class StreamChunksTimeout
{
    private const int Items = 100_000;
    private const int ChunkSize = 64;
    private const int Capacity = 1024;
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(1);

    private readonly CountingStream _source = new(Items);
    private Runtime _runtime = null!;
    private Func<Task<long>> _spindle = null!;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();
        IAsyncEnumerable<IReadOnlyList<int>> chunks = _source.ChunksTimeout(ChunkSize, s_deadline);
        _spindle = async () =>
        {
            long sum = 0;
            await foreach (IReadOnlyList<int> chunk in chunks)
            {
                sum += chunk.Count;
            }

            return sum;
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public async Task<long> ChannelsChunks()
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        ChannelWriter<int> writer = channel.Writer;
        Task pump = Task.Run(async () =>
        {
            try
            {
                await foreach (int item in _source)
                {
                    while (!writer.TryWrite(item))
                    {
                        await writer.WaitToWriteAsync();
                    }
                }
            }
            finally
            {
                writer.TryComplete();
            }
        });

        long sum = 0;
        ChannelReader<int> reader = channel.Reader;
        var buffer = new List<int>(ChunkSize);
        Task<bool>? waiting = null; // a WaitToReadAsync that lost a race to the deadline is kept, not repeated
        CancellationTokenSource? deadlineCts = null;
        Task? deadline = null;
        long deadlineAt = 0;
        while (true)
        {
            while (buffer.Count < ChunkSize && reader.TryRead(out int item))
            {
                if (buffer.Count == 0)
                {
                    deadlineAt = Environment.TickCount64 + (long)s_deadline.TotalMilliseconds;
                }

                buffer.Add(item);
            }

            bool emit = buffer.Count == ChunkSize;
            bool ended = false;
            if (!emit)
            {
                if (buffer.Count == 0)
                {
                    ended = waiting is null ? !await reader.WaitToReadAsync() : !await waiting;
                    waiting = null;
                }
                else
                {
                    waiting ??= reader.WaitToReadAsync().AsTask();
                    if (!waiting.IsCompleted)
                    {
                        if (deadline is null)
                        {
                            deadlineCts = new CancellationTokenSource();
                            deadline = Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, deadlineAt - Environment.TickCount64)), deadlineCts.Token);
                        }

                        await Task.WhenAny(waiting, deadline);
                    }

                    if (waiting.IsCompleted)
                    {
                        ended = !await waiting;
                        waiting = null;
                    }

                    emit = ended || deadline is { IsCompleted: true };
                }
            }

            if (emit && buffer.Count > 0)
            {
                sum += buffer.ToArray().Length;
                buffer.Clear();
                if (deadlineCts is not null)
                {
                    deadlineCts.Cancel();
                    deadlineCts.Dispose();
                    deadlineCts = null;
                    deadline = null;
                }
            }

            if (ended)
            {
                break;
            }
        }

        await pump;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public long SpindleChunksTimeout() => _runtime.BlockOn(_spindle);
}
