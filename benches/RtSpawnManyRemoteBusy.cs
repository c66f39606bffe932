using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's <c>spawn_many_remote_busy1</c>/<c>busy2</c> (benches/rt_multi_threaded.rs) and
/// <c>spawn_many_remote_busy</c> (rt_current_thread.rs): <see cref="RtSpawnManyRemoteIdle"/>'s
/// workload (10 000 empty tasks spawned from outside the runtime, then every handle awaited in
/// <c>BlockOn</c>) while <see cref="BusyTasks"/> other tasks keep the scheduler busy, each looping on
/// <see cref="SpindleTask.YieldAsync"/> (baseline: <see cref="Task.Yield"/> on the pool) until a stop
/// flag is set at cleanup. Unlike tokio, the busy tasks do not also stall 10 µs per turn and busy2 is
/// two yielding tasks rather than a chain of spawning ones, so the numbers measure how remote spawns
/// compete with yields and nothing else. On the current-thread runtime the busy tasks only run while
/// <c>BlockOn</c> does, interleaved with the joins.
/// </summary>
[MemoryDiagnoser]
public class RtSpawnManyRemoteBusy
{
    private readonly RemoteSpawnWorkload _workload = new();
    private readonly Func<Task> _poolBusy;
    private readonly Func<Task> _spindleBusy;
    private Task[] _poolBusyTasks = [];
    private JoinHandle[] _spindleBusyTasks = [];
    private Runtime _multiThread = null!;
    private Runtime _currentThread = null!;
    private bool _stop;

    public RtSpawnManyRemoteBusy()
    {
        _poolBusy = async () =>
        {
            // Pairs with the Volatile.Write in StopBusy; a late read only costs one more turn.
            while (!Volatile.Read(ref _stop))
            {
                await Task.Yield();
            }
        };
        _spindleBusy = async () =>
        {
            // Pairs with the Volatile.Write in StopBusy; a late read only costs one more turn.
            while (!Volatile.Read(ref _stop))
            {
                await SpindleTask.YieldAsync();
            }
        };
    }

    /// <summary>How many tasks keep the scheduler busy: tokio's busy1 and busy2.</summary>
    [Params(1, 2)]
    public int BusyTasks { get; set; }

    [GlobalSetup(Target = nameof(ThreadPool))]
    public void SetupThreadPool()
    {
        _stop = false;
        _poolBusyTasks = new Task[BusyTasks];
        for (int i = 0; i < BusyTasks; i++)
        {
            _poolBusyTasks[i] = Task.Run(_poolBusy);
        }
    }

    [GlobalCleanup(Target = nameof(ThreadPool))]
    public void CleanupThreadPool()
    {
        StopBusy();
        Task.WaitAll(_poolBusyTasks);
    }

    [GlobalSetup(Target = nameof(SpindleMultiThread))]
    public void SetupMultiThread() => _multiThread = StartBusy(RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build());

    [GlobalCleanup(Target = nameof(SpindleMultiThread))]
    public void CleanupMultiThread() => StopBusy(_multiThread);

    [GlobalSetup(Target = nameof(SpindleCurrentThread))]
    public void SetupCurrentThread() => _currentThread = StartBusy(RuntimeBuilder.CreateCurrentThread().Build());

    [GlobalCleanup(Target = nameof(SpindleCurrentThread))]
    public void CleanupCurrentThread() => StopBusy(_currentThread);

    [Benchmark(Baseline = true)]
    public void ThreadPool() => _workload.RunOnThreadPool();

    [Benchmark]
    public void SpindleMultiThread() => _workload.RunOn(_multiThread);

    [Benchmark]
    public void SpindleCurrentThread() => _workload.RunOn(_currentThread);

    private Runtime StartBusy(Runtime runtime)
    {
        _stop = false;
        _spindleBusyTasks = new JoinHandle[BusyTasks];
        for (int i = 0; i < BusyTasks; i++)
        {
            _spindleBusyTasks[i] = runtime.Handle.Spawn(_spindleBusy);
        }

        return runtime;
    }

    private void StopBusy(Runtime runtime)
    {
        StopBusy();
        JoinHandle[] busy = _spindleBusyTasks;
        runtime.BlockOn(async () =>
        {
            foreach (JoinHandle handle in busy)
            {
                await handle;
            }
        });
        runtime.Dispose();
    }

    // Pairs with the Volatile.Read in the busy loops.
    private void StopBusy() => Volatile.Write(ref _stop, true);
}
