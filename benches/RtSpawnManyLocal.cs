using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's <c>spawn_many_local</c> (benches/rt_multi_threaded.rs): from inside the runtime,
/// spawn 10 000 tasks that each decrement a shared counter; the last one opens a gate the spawner
/// awaits. The baseline spawns the same work items with <see cref="Task.Run(Action)"/> from a
/// thread-pool thread, so they land in that thread's local queue as Spindle's land in the worker's.
/// Delegates are cached in fields on both sides, so the numbers are the scheduler's cost alone.
/// </summary>
[MemoryDiagnoser]
public class RtSpawnManyLocal : SpindleRuntimes
{
    private const int NumSpawn = 10_000;

    private readonly Func<Task> _poolRoot;
    private readonly Action _poolChild;
    private readonly Func<Task> _spindleRoot;
    private readonly Func<Task> _spindleChild;
    private readonly CountdownGate _gate = new();

    public RtSpawnManyLocal()
    {
        _poolChild = () => _gate.Arrive();
        _poolRoot = async () =>
        {
            Task done = _gate.Start(NumSpawn);
            for (int i = 0; i < NumSpawn; i++)
            {
                _ = Task.Run(_poolChild);
            }

            await done;
        };
        _spindleChild = () =>
        {
            _gate.Arrive();
            return Task.CompletedTask;
        };
        _spindleRoot = async () =>
        {
            Task done = _gate.Start(NumSpawn);
            for (int i = 0; i < NumSpawn; i++)
            {
                _ = SpindleTask.Spawn(_spindleChild);
            }

            await done;
        };
    }

    [Benchmark(Baseline = true)]
    public void ThreadPool() => Task.Run(_poolRoot).GetAwaiter().GetResult();

    [Benchmark]
    public void SpindleMultiThread() => MultiThreadRuntime.BlockOn(_spindleRoot);

    [Benchmark]
    public void SpindleCurrentThread() => CurrentThreadRuntime.BlockOn(_spindleRoot);
}
