using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using SpindleTime = Spindle.Time.Time;

namespace Spindle.Benchmarks;

/// <summary>
/// The cost of a timeout that does not fire (the common case; tokio's benches/time_timeout.rs
/// measures the same): 10 000 sequential <see cref="SpindleTime.TimeoutAsync{T}(TimeSpan, Func{CancellationToken, Task{T}})"/>
/// around an already-completed operation with a 10 s limit, against the .NET idiom of a
/// <see cref="CancellationTokenSource"/> with a delay plus <see cref="Task{TResult}.WaitAsync(CancellationToken)"/>
/// on the thread pool. Results are per timeout.
/// </summary>
[MemoryDiagnoser]
public class TimeTimeout
{
    private const int Iterations = 10_000;

    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(10);
    private static readonly Func<CancellationToken, Task<int>> s_operation = static _ => Task.FromResult(1);

    private readonly Func<Task<int>> _poolLoop;
    private readonly Func<Task<int>> _spindleLoop;
    private Runtime _multiThread = null!;
    private Runtime _currentThread = null!;

    public TimeTimeout()
    {
        _poolLoop = static async () =>
        {
            int sum = 0;
            for (int i = 0; i < Iterations; i++)
            {
                using var cts = new CancellationTokenSource(s_limit);
                sum += await s_operation(cts.Token).WaitAsync(cts.Token);
            }

            return sum;
        };
        _spindleLoop = static async () =>
        {
            int sum = 0;
            for (int i = 0; i < Iterations; i++)
            {
                sum += await SpindleTime.TimeoutAsync(s_limit, s_operation);
            }

            return sum;
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

    [Benchmark(Baseline = true, OperationsPerInvoke = Iterations)]
    public int ThreadPool() => Task.Run(_poolLoop).GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Iterations)]
    public int SpindleMultiThread() => _multiThread.BlockOn(_spindleLoop);

    [Benchmark(OperationsPerInvoke = Iterations)]
    public int SpindleCurrentThread() => _currentThread.BlockOn(_spindleLoop);
}
