using System.Threading;

namespace Spindle.Scheduling;

/// <summary>Runtime-wide counters; see <see cref="Diagnostics.RuntimeMetrics"/> for the public view.</summary>
internal sealed class RuntimeStats
{
    private long _forcedYields;

    public RuntimeStats(int workers)
    {
        Workers = new WorkerStats[workers];
        for (int i = 0; i < workers; i++)
        {
            Workers[i] = new WorkerStats();
        }
    }

    public WorkerStats[] Workers { get; }

    public long ForcedYields => Volatile.Read(ref _forcedYields);

    public void RecordForcedYield() => Interlocked.Increment(ref _forcedYields);
}
