using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's <c>chained_spawn</c> (benches/rt_multi_threaded.rs): a task spawns a task which
/// spawns a task, 1 000 deep; the last one opens a gate awaited in <c>BlockOn</c>. Only one task is
/// runnable at a time, so this measures spawn-to-first-poll latency rather than throughput. Each
/// level captures its depth in a closure, on both sides (tokio moves it into the future likewise).
/// </summary>
[MemoryDiagnoser]
public class RtChainedSpawn : SpindleRuntimes
{
    private const int Depth = 1_000;

    private readonly Func<Task> _poolRoot;
    private readonly Func<Task> _spindleRoot;
    private readonly CountdownGate _gate = new();

    public RtChainedSpawn()
    {
        _poolRoot = async () =>
        {
            Task done = _gate.Start(1);
            PoolChain(Depth);
            await done;
        };
        _spindleRoot = async () =>
        {
            Task done = _gate.Start(1);
            SpindleChain(Depth);
            await done;
        };
    }

    [Benchmark(Baseline = true)]
    public void ThreadPool() => Task.Run(_poolRoot).GetAwaiter().GetResult();

    [Benchmark]
    public void SpindleMultiThread() => MultiThreadRuntime.BlockOn(_spindleRoot);

    [Benchmark]
    public void SpindleCurrentThread() => CurrentThreadRuntime.BlockOn(_spindleRoot);

    private void PoolChain(int remaining)
    {
        if (remaining == 0)
        {
            _gate.Arrive();
        }
        else
        {
            _ = Task.Run(() => PoolChain(remaining - 1));
        }
    }

    private void SpindleChain(int remaining)
    {
        if (remaining == 0)
        {
            _gate.Arrive();
        }
        else
        {
            SpindleTask.Spawn(() =>
            {
                SpindleChain(remaining - 1);
                return Task.CompletedTask;
            });
        }
    }
}
