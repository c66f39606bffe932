using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// The runtime every <c>Sync*</c> workload runs on: multi-thread with 2 workers. The Spindle
/// primitive and its .NET baseline run the same tasks on the same scheduler, so the numbers compare
/// the primitives alone.
/// </summary>
public abstract class SyncRuntime
{
    protected Runtime Runtime { get; private set; } = null!;

    [GlobalSetup]
    public void SetupRuntime()
    {
        Runtime = BuildRuntime();
        Setup();
    }

    [GlobalCleanup]
    public void CleanupRuntime()
    {
        Cleanup();
        Runtime.Dispose();
    }

    /// <summary>The runtime for the class: multi-thread with 2 workers unless a class measures both flavours.</summary>
    protected virtual Runtime BuildRuntime() => RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();

    /// <summary>Per-class setup after the runtime is built (channels, receivers).</summary>
    protected virtual void Setup()
    {
    }

    /// <summary>Per-class cleanup before the runtime is disposed.</summary>
    protected virtual void Cleanup()
    {
    }

    /// <summary>Spawns <paramref name="tasks"/> copies of <paramref name="body"/> and waits for all.</summary>
    protected static async Task RunConcurrently(int tasks, Func<Task> body)
    {
        var handles = new JoinHandle[tasks];
        for (int i = 0; i < tasks; i++)
        {
            handles[i] = SpindleTask.Spawn(body);
        }

        foreach (JoinHandle handle in handles)
        {
            await handle;
        }
    }
}
