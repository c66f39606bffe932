using System.Threading.Tasks;
using System.Threading;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's benches/sync_rwlock.rs: 1 000 reads in one task (<c>read_uncontended</c>), 6
/// tasks reading 100 times each (<c>read_concurrent_uncontended_multi</c>), and the same with a
/// writer taking the lock every 10 reads (<c>read_concurrent_contended_multi</c>). .NET has no
/// async reader-writer lock, so the baseline is what people use instead: <see cref="SemaphoreSlim"/>
/// as an exclusive async lock, on the same runtime.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SyncRwLock : SyncRuntime
{
    private const int Tasks = 6;
    private const int OpsPerTask = 100;

    private readonly AsyncRwLock<int> _rw = new(0);
    private readonly SemaphoreSlim _slim = new(1, 1);
    private int _slimValue;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("read_uncontended")]
    public void ReadUncontended_SemaphoreSlim() => Runtime.BlockOn(() => SlimOps(1_000, writeEvery: 0));

    [Benchmark]
    [BenchmarkCategory("read_uncontended")]
    public void ReadUncontended_AsyncRwLock() => Runtime.BlockOn(() => RwOps(1_000, writeEvery: 0));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("read_concurrent_uncontended_multi")]
    public void ReadMulti_SemaphoreSlim() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => SlimOps(OpsPerTask, writeEvery: 0)));

    [Benchmark]
    [BenchmarkCategory("read_concurrent_uncontended_multi")]
    public void ReadMulti_AsyncRwLock() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => RwOps(OpsPerTask, writeEvery: 0)));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("read_concurrent_contended_multi")]
    public void ReadWriteMulti_SemaphoreSlim() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => SlimOps(OpsPerTask, writeEvery: 10)));

    [Benchmark]
    [BenchmarkCategory("read_concurrent_contended_multi")]
    public void ReadWriteMulti_AsyncRwLock() => Runtime.BlockOn(() => RunConcurrently(Tasks, () => RwOps(OpsPerTask, writeEvery: 10)));

    private async Task SlimOps(int count, int writeEvery)
    {
        for (int i = 0; i < count; i++)
        {
            await _slim.WaitAsync();
            if (writeEvery > 0 && i % writeEvery == 0)
            {
                _slimValue++;
            }
            else
            {
                _ = Volatile.Read(ref _slimValue);
            }

            _slim.Release();
        }
    }

    private async Task RwOps(int count, int writeEvery)
    {
        for (int i = 0; i < count; i++)
        {
            if (writeEvery > 0 && i % writeEvery == 0)
            {
                using AsyncRwLockWriteGuard<int> write = await _rw.WriteAsync();
                write.Value++;
            }
            else
            {
                using AsyncRwLockReadGuard<int> read = await _rw.ReadAsync();
                _ = read.Value;
            }
        }
    }
}
