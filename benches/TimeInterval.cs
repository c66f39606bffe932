using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Time;
using SpindleTime = Spindle.Time.Time;

namespace Spindle.Benchmarks;

/// <summary>
/// The cost of one <see cref="Interval"/> tick when the clock is paused and auto-advances to the
/// next timer as soon as the runtime is idle (the way tests drive time): 1 000 ticks of a 1 ms
/// interval, created once, per invocation. Results are per tick and should allocate nothing.
/// There is no fair .NET baseline: <see cref="System.Threading.PeriodicTimer"/> on the real clock is
/// bound by wall time (1 000 ticks take at least a second), and a paused one needs a hand-written
/// fake <see cref="TimeProvider"/>, which would measure the fake. So the baseline is Spindle's
/// multi-thread runtime and the comparison is between the two schedulers.
/// </summary>
[MemoryDiagnoser]
public class TimeInterval
{
    private const int Ticks = 1_000;

    private static readonly TimeSpan s_period = TimeSpan.FromMilliseconds(1);

    private readonly Func<Task<long>> _tickMultiThread;
    private readonly Func<Task<long>> _tickCurrentThread;
    private Runtime _multiThread = null!;
    private Runtime _currentThread = null!;
    private Interval _multiThreadInterval = null!;
    private Interval _currentThreadInterval = null!;

    public TimeInterval()
    {
        _tickMultiThread = () => TickMany(_multiThreadInterval);
        _tickCurrentThread = () => TickMany(_currentThreadInterval);
    }

    [GlobalSetup(Target = nameof(SpindleMultiThread))]
    public void SetupMultiThread()
    {
        _multiThread = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).StartPaused().Build();
        _multiThreadInterval = _multiThread.BlockOn(static () => Task.FromResult(SpindleTime.Interval(s_period)));
    }

    [GlobalCleanup(Target = nameof(SpindleMultiThread))]
    public void CleanupMultiThread() => _multiThread.Dispose();

    [GlobalSetup(Target = nameof(SpindleCurrentThread))]
    public void SetupCurrentThread()
    {
        _currentThread = RuntimeBuilder.CreateCurrentThread().StartPaused().Build();
        _currentThreadInterval = _currentThread.BlockOn(static () => Task.FromResult(SpindleTime.Interval(s_period)));
    }

    [GlobalCleanup(Target = nameof(SpindleCurrentThread))]
    public void CleanupCurrentThread() => _currentThread.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Ticks)]
    public long SpindleMultiThread() => _multiThread.BlockOn(_tickMultiThread);

    [Benchmark(OperationsPerInvoke = Ticks)]
    public long SpindleCurrentThread() => _currentThread.BlockOn(_tickCurrentThread);

    private static async Task<long> TickMany(Interval interval)
    {
        Instant last = default;
        for (int i = 0; i < Ticks; i++)
        {
            last = await interval.TickAsync();
        }

        return last.Ticks;
    }
}
