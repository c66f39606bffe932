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
    private const int NumSpawn = 10_000;

    private readonly Task[] _poolHandles = new Task[NumSpawn];
    private readonly JoinHandle[] _spindleHandles = new JoinHandle[NumSpawn];
    private readonly Action _poolChild = static () => { };
    private readonly Func<Task> _spindleChild = static () => Task.CompletedTask;
    private readonly Func<Task> _poolJoinAll;
    private readonly Func<Task> _spindleJoinAll;

    public RtSpawnManyRemoteIdle()
    {
        _poolJoinAll = async () =>
        {
            foreach (Task handle in _poolHandles)
            {
                await handle;
            }
        };
        _spindleJoinAll = async () =>
        {
            foreach (JoinHandle handle in _spindleHandles)
            {
                await handle;
            }
        };
    }

    [Benchmark(Baseline = true)]
    public void ThreadPool()
    {
        for (int i = 0; i < NumSpawn; i++)
        {
            _poolHandles[i] = Task.Run(_poolChild);
        }

        Task.Run(_poolJoinAll).GetAwaiter().GetResult();
    }

    [Benchmark]
    public void SpindleMultiThread() => SpawnAndJoin(MultiThreadRuntime);

    [Benchmark]
    public void SpindleCurrentThread() => SpawnAndJoin(CurrentThreadRuntime);

    private void SpawnAndJoin(Runtime runtime)
    {
        RuntimeHandle handle = runtime.Handle;
        for (int i = 0; i < NumSpawn; i++)
        {
            _spindleHandles[i] = handle.Spawn(_spindleChild);
        }

        runtime.BlockOn(_spindleJoinAll);
    }
}
