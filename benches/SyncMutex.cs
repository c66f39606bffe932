using System.Threading.Tasks;
using System.Threading;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// <see cref="AsyncMutex{T}"/> against <see cref="SemaphoreSlim"/> used as an async lock (the usual
/// .NET idiom), on the same runtime: 1 000 uncontended lock/unlock pairs in one task, and 4 tasks
/// taking the lock 250 times each (contended on 2 workers).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SyncMutex : SyncRuntime
{
    private const int Ops = 1_000;
    private const int Tasks = 4;

    private readonly AsyncMutex<int> _mutex = new(0);
    private readonly SemaphoreSlim _slim = new(1, 1);
    private int _slimValue;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("uncontended")]
    public void Uncontended_SemaphoreSlim() => Runtime.BlockOn(SlimLoop);

    [Benchmark]
    [BenchmarkCategory("uncontended")]
    public void Uncontended_AsyncMutex() => Runtime.BlockOn(MutexLoop);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("contended")]
    public void Contended_SemaphoreSlim() => Runtime.BlockOn(() => RunConcurrently(Tasks, SlimQuarter));

    [Benchmark]
    [BenchmarkCategory("contended")]
    public void Contended_AsyncMutex() => Runtime.BlockOn(() => RunConcurrently(Tasks, MutexQuarter));

    private Task SlimLoop() => SlimOps(Ops);

    private Task MutexLoop() => MutexOps(Ops);

    private Task SlimQuarter() => SlimOps(Ops / Tasks);

    private Task MutexQuarter() => MutexOps(Ops / Tasks);

    private async Task SlimOps(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await _slim.WaitAsync();
            _slimValue++;
            _slim.Release();
        }
    }

    private async Task MutexOps(int count)
    {
        for (int i = 0; i < count; i++)
        {
            using AsyncMutexGuard<int> guard = await _mutex.LockAsync();
            guard.Value++;
        }
    }
}
