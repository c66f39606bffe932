using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Spindle.Scheduling;

/// <summary>A runtime flavour: the scheduler plus the threads (or the BlockOn caller) that drive it.</summary>
internal abstract class RuntimeScheduler : Scheduler
{
    protected RuntimeScheduler(RuntimeCore runtime)
        : base(runtime)
    {
    }

    public abstract int WorkerCount { get; }

    /// <summary>Starts worker threads, if the flavour has any.</summary>
    public abstract void Start();

    /// <summary>Runs <paramref name="root"/> to completion, blocking the calling thread.</summary>
    /// <param name="root">The task spawned for the BlockOn delegate.</param>
    /// <param name="done">Set when the root completes, for flavours where the caller only waits.</param>
    public abstract void BlockOn(TaskCore root, ManualResetEventSlim? done);

    /// <summary>Whether BlockOn needs a completion event (the caller does not drive tasks itself).</summary>
    public abstract bool BlockOnNeedsEvent { get; }

    /// <summary>Keeps tasks running until <paramref name="done"/> or the timeout.</summary>
    public abstract void DrainForShutdown(Func<bool> done, TimeSpan timeout);

    /// <summary>Stops worker threads; after this, scheduled tasks are polled on the thread pool.</summary>
    public abstract void Stop(TimeSpan timeout);

    public abstract int GlobalQueueDepth { get; }

    /// <summary>Tasks scheduled from outside the runtime's threads so far (<see cref="Diagnostics.RuntimeMetrics.RemoteScheduleCount"/>).</summary>
    public abstract long RemoteScheduleCount { get; }

    public abstract int LocalQueueDepth(int worker);

    /// <summary>The pause a dump in progress asks pollers to arrive at; null when no dump is taken.</summary>
    private DumpPause? _dumpPause;

    private readonly object _dumpLock = new();

    /// <summary>
    /// Called by a poller before each poll and after each wake-up: arrives at the pause of a dump in
    /// progress. Costs one volatile read when no dump is taken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CheckDumpPause()
    {
        DumpPause? pause = Volatile.Read(ref _dumpPause);
        if (pause is not null)
        {
            pause.ArriveAndWait();
            ThreadData.Current.RefreshClock();
        }
    }

    /// <summary>
    /// Stops every poller between two polls (see <see cref="DumpPause"/>), waiting at most
    /// <paramref name="timeout"/> for busy ones; dispose the result to let them go on.
    /// The calling thread, if it is one of this runtime's pollers, is not waited for: it is
    /// taking the dump.
    /// </summary>
    public DumpPauseScope PauseForDump(TimeSpan timeout)
    {
        // One dump at a time; released by EndDumpPause on this same thread.
        Monitor.Enter(_dumpLock);
        var pause = new DumpPause(PollersToPause());
        Volatile.Write(ref _dumpPause, pause);
        Interlocked.MemoryBarrier();
        WakePollers();
        bool all = WaitForPollers(pause, timeout);
        return new DumpPauseScope(this, pause, all ? 0 : Math.Max(0, pause.Expected - pause.Arrived));
    }

    internal void EndDumpPause(DumpPause pause)
    {
        Volatile.Write(ref _dumpPause, null);
        pause.Release();
        OnDumpPauseEnded();
        Monitor.Exit(_dumpLock);
    }

    /// <summary>How many pollers a dump must wait for, not counting the calling thread.</summary>
    protected abstract int PollersToPause();

    /// <summary>Wakes parked pollers so they see the published pause.</summary>
    protected abstract void WakePollers();

    /// <summary>Waits for the pollers to arrive; a flavour may find out sooner that none is polling.</summary>
    protected virtual bool WaitForPollers(DumpPause pause, TimeSpan timeout) => pause.WaitForAll(timeout);

    /// <summary>Called after the pollers were let go.</summary>
    protected virtual void OnDumpPauseEnded()
    {
    }
}

/// <summary>A dump's pause of the pollers; disposing it lets them go on.</summary>
internal readonly struct DumpPauseScope : IDisposable
{
    private readonly RuntimeScheduler _scheduler;
    private readonly DumpPause _pause;

    public DumpPauseScope(RuntimeScheduler scheduler, DumpPause pause, int busyPollers)
    {
        _scheduler = scheduler;
        _pause = pause;
        BusyPollers = busyPollers;
    }

    /// <summary>Gets the pollers that were still inside a poll when the wait timed out.</summary>
    public int BusyPollers { get; }

    public void Dispose() => _scheduler.EndDumpPause(_pause);
}
