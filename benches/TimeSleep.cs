using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Time;
using SpindleTime = Spindle.Time.Time;

namespace Spindle.Benchmarks;

/// <summary>
/// The cost of pushing back a deadline that does not fire, as an idle timeout does on every bit of
/// activity: one <see cref="Sleep"/>, created once, reset 10 000 times to 10 s from now, against
/// <see cref="Timer.Change(TimeSpan, TimeSpan)"/> on one <see cref="Timer"/>. Results are per reset;
/// Spindle's should allocate nothing (the one <c>BlockOn</c> per invocation is spread over the resets).
/// </summary>
[MemoryDiagnoser]
public class TimeSleep
{
    private const int Resets = 10_000;

    private static readonly TimeSpan s_far = TimeSpan.FromSeconds(10);

    private readonly Func<Task> _resetMultiThread;
    private readonly Func<Task> _resetCurrentThread;
    private Timer _timer = null!;
    private Runtime _multiThread = null!;
    private Runtime _currentThread = null!;
    private Sleep _multiThreadSleep = null!;
    private Sleep _currentThreadSleep = null!;

    public TimeSleep()
    {
        _resetMultiThread = () => ResetMany(_multiThreadSleep);
        _resetCurrentThread = () => ResetMany(_currentThreadSleep);
    }

    [GlobalSetup(Target = nameof(ThreadPool))]
    public void SetupThreadPool() => _timer = new Timer(static _ => { }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    [GlobalCleanup(Target = nameof(ThreadPool))]
    public void CleanupThreadPool() => _timer.Dispose();

    [GlobalSetup(Target = nameof(SpindleMultiThread))]
    public void SetupMultiThread()
    {
        _multiThread = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();
        _multiThreadSleep = _multiThread.BlockOn(static () => Task.FromResult(SpindleTime.Sleep(s_far)));
    }

    [GlobalCleanup(Target = nameof(SpindleMultiThread))]
    public void CleanupMultiThread() => _multiThread.Dispose();

    [GlobalSetup(Target = nameof(SpindleCurrentThread))]
    public void SetupCurrentThread()
    {
        _currentThread = RuntimeBuilder.CreateCurrentThread().Build();
        _currentThreadSleep = _currentThread.BlockOn(static () => Task.FromResult(SpindleTime.Sleep(s_far)));
    }

    [GlobalCleanup(Target = nameof(SpindleCurrentThread))]
    public void CleanupCurrentThread() => _currentThread.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Resets)]
    public void ThreadPool()
    {
        for (int i = 0; i < Resets; i++)
        {
            _timer.Change(s_far, Timeout.InfiniteTimeSpan);
        }
    }

    [Benchmark(OperationsPerInvoke = Resets)]
    public void SpindleMultiThread() => _multiThread.BlockOn(_resetMultiThread);

    [Benchmark(OperationsPerInvoke = Resets)]
    public void SpindleCurrentThread() => _currentThread.BlockOn(_resetCurrentThread);

    private static Task ResetMany(Sleep sleep)
    {
        for (int i = 0; i < Resets; i++)
        {
            sleep.Reset(s_far);
        }

        return Task.CompletedTask;
    }
}
