using System.Threading;

namespace Spindle.Scheduling;

/// <summary>
/// Counters of one worker. Only the owning worker writes them (plain increments, then a volatile
/// publish is unnecessary on x64/arm64 for monotonic 64-bit counters read as approximations);
/// readers use <see cref="Volatile"/> and accept slightly stale values, as tokio's metrics do.
/// </summary>
internal sealed class WorkerStats
{
    /// <summary>Poll-time histogram: buckets of 100 µs, the last one open-ended (tokio's default layout).</summary>
    public const int HistogramBuckets = 10;
    public const long HistogramBucketTicks = 1_000;

    public long Polls;
    public long Steals;
    public long StealOperations;
    public long Parks;
    public long SpinWakes;
    public long Noops;
    public long LocalSchedules;
    public long Overflows;
    public long BusyTicks;
    public long ForcedYields;
    public long LocalQueueDepth;
    public readonly long[] PollTimeHistogram = new long[HistogramBuckets];

    public void RecordPollTime(long ticks)
    {
        long bucket = ticks / HistogramBucketTicks;
        PollTimeHistogram[bucket >= HistogramBuckets ? HistogramBuckets - 1 : bucket]++;
    }
}
