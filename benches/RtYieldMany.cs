using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's <c>yield_many</c> (benches/rt_multi_threaded.rs): tasks that do nothing but yield
/// 1 000 times each, all joined. tokio runs 200 such tasks; here 4 (two per worker) keep an
/// iteration well under 100 ms while still making the workers share a run queue. Spindle yields
/// with <see cref="SpindleTask.YieldAsync"/>, the baseline with <see cref="Task.Yield"/> on the pool.
/// </summary>
[MemoryDiagnoser]
public class RtYieldMany : SpindleRuntimes
{
    private const int Tasks = 4;
    private const int NumYield = 1_000;

    private readonly Task[] _poolHandles = new Task[Tasks];
    private readonly JoinHandle[] _spindleHandles = new JoinHandle[Tasks];
    private readonly Func<Task> _poolRoot;
    private readonly Func<Task> _poolYielder;
    private readonly Func<Task> _spindleRoot;
    private readonly Func<Task> _spindleYielder;

    public RtYieldMany()
    {
        _poolYielder = static async () =>
        {
            for (int i = 0; i < NumYield; i++)
            {
                await Task.Yield();
            }
        };
        _poolRoot = async () =>
        {
            for (int i = 0; i < Tasks; i++)
            {
                _poolHandles[i] = Task.Run(_poolYielder);
            }

            foreach (Task handle in _poolHandles)
            {
                await handle;
            }
        };
        _spindleYielder = static async () =>
        {
            for (int i = 0; i < NumYield; i++)
            {
                await SpindleTask.YieldAsync();
            }
        };
        _spindleRoot = async () =>
        {
            for (int i = 0; i < Tasks; i++)
            {
                _spindleHandles[i] = SpindleTask.Spawn(_spindleYielder);
            }

            foreach (JoinHandle handle in _spindleHandles)
            {
                await handle;
            }
        };
    }

    [Benchmark(Baseline = true)]
    public void ThreadPool() => Task.Run(_poolRoot).GetAwaiter().GetResult();

    [Benchmark]
    public void SpindleMultiThread() => MultiThreadRuntime.BlockOn(_spindleRoot);

    [Benchmark]
    public void SpindleCurrentThread() => CurrentThreadRuntime.BlockOn(_spindleRoot);
}
