using System;
using System.Threading.Tasks;

namespace Spindle.Benchmarks;

/// <summary>
/// The workload shared by <see cref="RtSpawnManyRemoteIdle"/> and <see cref="RtSpawnManyRemoteBusy"/>:
/// the benchmark thread, outside the runtime, spawns 10 000 empty tasks, then every handle is awaited
/// (inside <c>BlockOn</c> for Spindle, on a pool thread for the baseline). Delegates are cached so the
/// numbers are the scheduler's cost alone.
/// </summary>
internal sealed class RemoteSpawnWorkload
{
    private const int NumSpawn = 10_000;

    private readonly Task[] _poolHandles = new Task[NumSpawn];
    private readonly JoinHandle[] _spindleHandles = new JoinHandle[NumSpawn];
    private readonly Action _poolChild = static () => { };
    private readonly Func<Task> _spindleChild = static () => Task.CompletedTask;
    private readonly Func<Task> _poolJoinAll;
    private readonly Func<Task> _spindleJoinAll;

    public RemoteSpawnWorkload()
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

    /// <summary>The baseline: <see cref="Task.Run(Action)"/> from the benchmark thread, joined on the pool.</summary>
    public void RunOnThreadPool()
    {
        for (int i = 0; i < NumSpawn; i++)
        {
            _poolHandles[i] = Task.Run(_poolChild);
        }

        Task.Run(_poolJoinAll).GetAwaiter().GetResult();
    }

    /// <summary>Spindle: <see cref="RuntimeHandle.Spawn(Func{Task}, string?, string?, int, string?)"/> from outside, joined in BlockOn.</summary>
    public void RunOn(Runtime runtime)
    {
        RuntimeHandle handle = runtime.Handle;
        for (int i = 0; i < NumSpawn; i++)
        {
            _spindleHandles[i] = handle.Spawn(_spindleChild);
        }

        runtime.BlockOn(_spindleJoinAll);
    }
}
