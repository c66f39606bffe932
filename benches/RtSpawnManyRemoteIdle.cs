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
public class RtSpawnManyRemoteIdle
{
    private const int NumSpawn = 10_000;

    private readonly Task[] _poolHandles = new Task[NumSpawn];
    private readonly JoinHandle[] _spindleHandles = new JoinHandle[NumSpawn];
    private readonly Action _poolChild = static () => { };
    private readonly Func<Task> _spindleChild = static () => Task.CompletedTask;
    private readonly Func<Task> _poolJoinAll;
    private readonly Func<Task> _spindleJoinAll;
    private Runtime _multiThread = null!;
    private Runtime _currentThread = null!;

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

    [GlobalSetup(Target = nameof(SpindleMultiThread))]
    public void SetupMultiThread() => _multiThread = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();

    [GlobalCleanup(Target = nameof(SpindleMultiThread))]
    public void CleanupMultiThread() => _multiThread.Dispose();

    [GlobalSetup(Target = nameof(SpindleCurrentThread))]
    public void SetupCurrentThread() => _currentThread = RuntimeBuilder.CreateCurrentThread().Build();

    [GlobalCleanup(Target = nameof(SpindleCurrentThread))]
    public void CleanupCurrentThread() => _currentThread.Dispose();

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
    public void SpindleMultiThread() => SpawnAndJoin(_multiThread);

    [Benchmark]
    public void SpindleCurrentThread() => SpawnAndJoin(_currentThread);

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
