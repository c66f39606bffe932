using System.Threading.Tasks;
using System.Threading;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's benches/sync_semaphore.rs: 6 tasks acquiring and releasing 100 times each from a
/// semaphore of 10 permits (<c>uncontended_concurrent_multi</c>) and of 5 permits
/// (<c>contended_concurrent_multi</c>), plus 1 000 acquisitions in one task (<c>uncontended</c>).
/// Baseline: <see cref="SemaphoreSlim.WaitAsync()"/> on the same runtime.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SyncSemaphore : SyncRuntime
{
    private const int Tasks = 6;
    private const int OpsPerTask = 100;

    private readonly AsyncSemaphore _wide = new(10);
    private readonly AsyncSemaphore _narrow = new(5);
    private readonly AsyncSemaphore _single = new(1);
    private readonly SemaphoreSlim _slimWide = new(10);
    private readonly SemaphoreSlim _slimNarrow = new(5);
    private readonly SemaphoreSlim _slimSingle = new(1);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("uncontended")]
    public void Uncontended_SemaphoreSlim() => Runtime.BlockOn(() => SlimOps(_slimSingle, 1_000));

    [Benchmark]
    [BenchmarkCategory("uncontended")]
    public void Uncontended_AsyncSemaphore() => Runtime.BlockOn(() => SpindleOps(_single, 1_000));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("uncontended_concurrent_multi")]
    public void UncontendedMulti_SemaphoreSlim() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => SlimOps(_slimWide, OpsPerTask)));

    [Benchmark]
    [BenchmarkCategory("uncontended_concurrent_multi")]
    public void UncontendedMulti_AsyncSemaphore() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => SpindleOps(_wide, OpsPerTask)));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("contended_concurrent_multi")]
    public void ContendedMulti_SemaphoreSlim() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => SlimOps(_slimNarrow, OpsPerTask)));

    [Benchmark]
    [BenchmarkCategory("contended_concurrent_multi")]
    public void ContendedMulti_AsyncSemaphore() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => SpindleOps(_narrow, OpsPerTask)));

    private static async Task SlimOps(SemaphoreSlim semaphore, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await semaphore.WaitAsync();
            semaphore.Release();
        }
    }

    private static async Task SpindleOps(AsyncSemaphore semaphore, int count)
    {
        for (int i = 0; i < count; i++)
        {
            using SemaphorePermit permit = await semaphore.AcquireAsync();
        }
    }
}
