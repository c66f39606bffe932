using System;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Diagnostics;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// Cost of a task dump (<see cref="RuntimeHandle.DumpAsync"/>) of <see cref="TaskCount"/> idle
/// tasks, each suspended three async frames deep on a <see cref="Notify"/>, taken from outside the
/// runtime (multi-thread, 2 workers). Target (issue 6): 100 000 tasks in under 1 s. The baseline
/// is the plain listing (<see cref="RuntimeHandle.GetTasks"/>: state and leaf, no walking), so the
/// difference is the walker; the first dump's one-off PDB read happens in the setup.
/// </summary>
[MemoryDiagnoser]
public class DiagTaskDump
{
    private Runtime _runtime = null!;
    private Notify _notify = null!;

    [Params(10_000, 100_000)]
    public int TaskCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();
        _notify = new Notify();
        Notify notify = _notify;
        int count = TaskCount;
        _runtime.BlockOn(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                _ = RuntimeHandle.Current.Spawn(() => OuterAsync(notify));
            }

            while (RuntimeHandle.Current.GetTasks().Count(t => t.State == TaskState.Idle && t.WaitingOn is not null) < count)
            {
                await SpindleTask.YieldAsync();
            }
        });
        _ = _runtime.Handle.DumpAsync().AsTask().Result;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _notify.NotifyWaiters();
        _runtime.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int ListTasks() => _runtime.Handle.GetTasks().Count;

    [Benchmark]
    public int Dump() => _runtime.Handle.DumpAsync().AsTask().Result.Tasks.Count;

    private static async Task OuterAsync(Notify notify) => await MiddleAsync(notify);

    private static async Task MiddleAsync(Notify notify) => await InnerAsync(notify);

    private static async ValueTask InnerAsync(Notify notify) => await notify.NotifiedAsync();
}
