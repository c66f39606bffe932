using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's <c>spawn_many_remote_idle</c> (benches/rt_multi_threaded.rs and
/// rt_current_thread.rs): the benchmark thread, outside the runtime, spawns 10 000 empty tasks
/// through <see cref="RuntimeHandle.Spawn(Func{Task}, string?, string?, int, string?)"/>, then awaits
/// every handle inside <c>BlockOn</c>. The baseline queues the same work items with
/// <see cref="Task.Run(Action)"/> from the benchmark thread (the pool's global queue) and awaits the
/// tasks on a pool thread. Delegates are cached in fields on both sides.
/// </summary>
[MemoryDiagnoser]
public class RtSpawnManyRemoteIdle : SpindleRuntimes
{
    private readonly RemoteSpawnWorkload _workload = new();

    [Benchmark(Baseline = true)]
    public void ThreadPool() => _workload.RunOnThreadPool();

    [Benchmark]
    public void SpindleMultiThread() => _workload.RunOn(MultiThreadRuntime);

    [Benchmark]
    public void SpindleCurrentThread() => _workload.RunOn(CurrentThreadRuntime);
}
