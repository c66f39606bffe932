using System;
using System.Threading;
using Spindle.Scheduling;

namespace Spindle.Diagnostics;

/// <summary>
/// Live counters of a runtime (tokio's <c>RuntimeMetrics</c>). Each read returns the current value;
/// values written by workers may be a moment stale.
/// </summary>
/// <remarks><para><b>Thread safety:</b> every member may be read from any thread.</para></remarks>
public readonly struct RuntimeMetrics
{
    private readonly RuntimeCore _core;

    internal RuntimeMetrics(RuntimeCore core) => _core = core;

    private WorkerStats Worker(int worker)
    {
        WorkerStats[] workers = _core.Metrics.Workers;
        ArgumentOutOfRangeException.ThrowIfNegative(worker);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(worker, workers.Length);
        return workers[worker];
    }

    /// <summary>Gets the number of worker threads (1 for the current-thread flavour).</summary>
    public int NumWorkers => _core.Metrics.Workers.Length;

    /// <summary>Gets the number of tasks spawned and not yet finished.</summary>
    public int NumAliveTasks => _core.Registry.Count;

    /// <summary>Gets the total number of tasks spawned so far.</summary>
    public long SpawnedTasksCount => _core.Registry.Added;

    /// <summary>Gets the number of tasks waiting in the global (inject) queue.</summary>
    public int GlobalQueueDepth => _core.Flavor.GlobalQueueDepth;

    /// <summary>Gets how many times a task was scheduled from outside the runtime's threads.</summary>
    public long RemoteScheduleCount => _core.Flavor.RemoteScheduleCount;

    /// <summary>Gets how many polls ended early because the task spent its coop budget.</summary>
    public long BudgetForcedYieldCount => _core.Metrics.ForcedYields;

    /// <summary>Gets the number of threads in the blocking pool.</summary>
    public int NumBlockingThreads => _core.Blocking.ThreadCount;

    /// <summary>Gets the number of idle threads in the blocking pool.</summary>
    public int NumIdleBlockingThreads => _core.Blocking.IdleThreadCount;

    /// <summary>Gets the number of blocking tasks waiting for a thread.</summary>
    public int BlockingQueueDepth => _core.Blocking.QueueDepth;

    /// <summary>Gets the number of tasks polled by a worker.</summary>
    /// <param name="worker">The worker index, 0 ≤ index &lt; <see cref="NumWorkers"/>.</param>
    /// <returns>The count.</returns>
    public long GetWorkerPollCount(int worker) => Volatile.Read(ref Worker(worker).Polls);

    /// <summary>Gets the number of tasks a worker stole from others.</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The count.</returns>
    public long GetWorkerStealCount(int worker) => Volatile.Read(ref Worker(worker).Steals);

    /// <summary>Gets the number of steal operations (each takes half a queue) a worker performed.</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The count.</returns>
    public long GetWorkerStealOperations(int worker) => Volatile.Read(ref Worker(worker).StealOperations);

    /// <summary>Gets the number of times a worker parked.</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The count.</returns>
    public long GetWorkerParkCount(int worker) => Volatile.Read(ref Worker(worker).Parks);

    /// <summary>
    /// Gets the number of the worker's parks that a wake-up ended while the worker was still spinning
    /// (<see cref="RuntimeBuilder.SpinBeforePark"/>), so that it never slept in the kernel.
    /// </summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The count.</returns>
    public long GetWorkerSpinWakeCount(int worker) => Volatile.Read(ref Worker(worker).SpinWakes);

    /// <summary>Gets the number of tasks a worker scheduled onto its own queue.</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The count.</returns>
    public long GetWorkerLocalScheduleCount(int worker) => Volatile.Read(ref Worker(worker).LocalSchedules);

    /// <summary>Gets the number of times a worker's local queue overflowed into the global queue.</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The count.</returns>
    public long GetWorkerOverflowCount(int worker) => Volatile.Read(ref Worker(worker).Overflows);

    /// <summary>Gets how many of a worker's polls ended because the task spent its budget or yielded.</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The count.</returns>
    public long GetWorkerForcedYieldCount(int worker) => Volatile.Read(ref Worker(worker).ForcedYields);

    /// <summary>Gets the time a worker spent running tasks (not parked).</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The busy time.</returns>
    public TimeSpan GetWorkerTotalBusyDuration(int worker) => TimeSpan.FromTicks(Volatile.Read(ref Worker(worker).BusyTicks));

    /// <summary>Gets the number of tasks in a worker's local queue.</summary>
    /// <param name="worker">The worker index.</param>
    /// <returns>The depth.</returns>
    public int GetWorkerLocalQueueDepth(int worker)
    {
        _ = Worker(worker);
        return _core.Flavor.LocalQueueDepth(worker);
    }

    /// <summary>Gets whether the poll-time histogram is recorded (<see cref="RuntimeBuilder.EnablePollTimeHistogram"/>).</summary>
    public bool IsPollTimeHistogramEnabled => _core.Options.EnablePollTimeHistogram;

    /// <summary>Gets the number of histogram buckets.</summary>
    public static int PollTimeHistogramNumBuckets => WorkerStats.HistogramBuckets;

    /// <summary>Gets the range of poll durations a bucket counts; the last bucket is open-ended.</summary>
    /// <param name="bucket">The bucket index.</param>
    /// <returns>The lower (inclusive) and upper (exclusive) bound.</returns>
    public static (TimeSpan Start, TimeSpan End) GetPollTimeHistogramBucketRange(int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, WorkerStats.HistogramBuckets);
        TimeSpan start = TimeSpan.FromTicks(bucket * WorkerStats.HistogramBucketTicks);
        TimeSpan end = bucket == WorkerStats.HistogramBuckets - 1 ? TimeSpan.MaxValue : TimeSpan.FromTicks((bucket + 1) * WorkerStats.HistogramBucketTicks);
        return (start, end);
    }

    /// <summary>Gets how many of a worker's polls fell in a histogram bucket.</summary>
    /// <param name="worker">The worker index.</param>
    /// <param name="bucket">The bucket index.</param>
    /// <returns>The count.</returns>
    public long GetPollTimeHistogramBucketCount(int worker, int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, WorkerStats.HistogramBuckets);
        return Volatile.Read(ref Worker(worker).PollTimeHistogram[bucket]);
    }
}
