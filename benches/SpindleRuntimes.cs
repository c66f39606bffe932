using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// The two Spindle runtimes every <c>Rt*</c> workload runs on: multi-thread with 2 workers and
/// current-thread. Each is built only for the benchmark method that uses it (the setup targets the
/// method names), so one runtime's threads never disturb the other's or the baseline's numbers.
/// Derived classes name their methods <c>SpindleMultiThread</c> and <c>SpindleCurrentThread</c>.
/// </summary>
public abstract class SpindleRuntimes
{
    private const string MultiThreadMethod = "SpindleMultiThread";
    private const string CurrentThreadMethod = "SpindleCurrentThread";

    protected Runtime MultiThreadRuntime { get; private set; } = null!;

    protected Runtime CurrentThreadRuntime { get; private set; } = null!;

    [GlobalSetup(Target = MultiThreadMethod)]
    public void SetupMultiThread() => MultiThreadRuntime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();

    [GlobalCleanup(Target = MultiThreadMethod)]
    public void CleanupMultiThread() => MultiThreadRuntime.Dispose();

    [GlobalSetup(Target = CurrentThreadMethod)]
    public void SetupCurrentThread() => CurrentThreadRuntime = RuntimeBuilder.CreateCurrentThread().Build();

    [GlobalCleanup(Target = CurrentThreadMethod)]
    public void CleanupCurrentThread() => CurrentThreadRuntime.Dispose();
}
