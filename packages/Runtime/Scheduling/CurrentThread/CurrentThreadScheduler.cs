using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using Spindle.Internal;

namespace Spindle.Scheduling.CurrentThread;

/// <summary>
/// The current-thread flavour: the thread that calls <c>BlockOn</c> runs every task, so the hot path
/// (a task waking another task on the same thread) touches no atomics beyond the task's own state.
/// </summary>
/// <remarks>
/// <para>
/// Queues: <see cref="_local"/> is touched only by the driving thread; wakes from other threads go
/// through <see cref="_inject"/> (lock-free to push) and unpark the driver. The driving thread takes the
/// inject queue first every <c>GlobalQueueInterval</c> ticks so remote wakes are not starved, and
/// fires timers every <c>EventInterval</c> ticks (DESIGN.md §2).
/// </para>
/// <para>
/// Driving rights (the "core", as tokio calls it) are a monitor held for the whole drive: one BlockOn at a time
/// drives; a second BlockOn from another thread waits for the core. Tasks spawned while nobody
/// drives wait in the queue for the next BlockOn.
/// </para>
/// <para>
/// Shutdown: <see cref="DrainForShutdown"/> takes the core and drives until every aborted task has
/// unwound or the timeout passes; <see cref="Stop"/> then hands anything still queued to the
/// thread pool, where it completes its unwinding.
/// </para>
/// </remarks>
internal sealed class CurrentThreadScheduler : RuntimeScheduler
{
    /// <summary>Remote tasks moved to the local queue per visit of the inject queue; half of tokio's local ring, as the multi-thread flavour's cap.</summary>
    private const int InjectBatch = 128;

    /// <summary>How often a dump waiting for the driving thread looks whether it left BlockOn.</summary>
    private static readonly TimeSpan CoreRecheck = TimeSpan.FromMilliseconds(10);

    private readonly Queue<TaskSlot> _local = new();
    private readonly InjectQueue _inject = new();
    private readonly object _core = new();
    private readonly WorkerStats _stats;
    private readonly Func<bool> _isIdle;
    private readonly long _spinTicks;
    // Countdowns, not a tick modulo: an integer division per poll showed in spawn-heavy profiles.
    private int _untilMaintenance;
    private int _untilInjectFirst;
    private volatile bool _stopped;
    private bool _coreHeldForDump;

    public CurrentThreadScheduler(RuntimeCore runtime)
        : base(runtime)
    {
        _stats = runtime.Metrics.Workers[0];
        _spinTicks = IdleSpin.ToTicks(runtime.Options.SpinBeforePark);
        // Blocking work first: a finishing blocking task schedules its waker before it stops counting as active.
        _isIdle = () => Runtime.Blocking.ActiveCount == 0 && Runtime.Time.AutoAdvanceAllowed && _inject.IsEmpty;
    }

    public override int WorkerCount => 1;

    public override bool BlockOnNeedsEvent => false;

    public override int GlobalQueueDepth => _inject.Count;

    public override long RemoteScheduleCount => _inject.RemotePushes;

    public override int LocalQueueDepth(int worker) => (int)Volatile.Read(ref _stats.LocalQueueDepth);

    /// <summary>The one thread that may be driving; the dump waits for it unless it takes the core itself.</summary>
    protected override int PollersToPause() => 1;

    protected override void WakePollers() => Runtime.Driver.Unpark();

    protected override bool WaitForPollers(DumpPause pause, TimeSpan timeout)
    {
        // Nobody drives (or the dump is taken from a task on the driving thread: the monitor is
        // re-entrant): holding the core keeps any BlockOn from starting until the dump is done.
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (Monitor.TryEnter(_core))
            {
                _coreHeldForDump = true;
                return true;
            }

            // Someone drives: it arrives before its next poll. It may also leave BlockOn without
            // polling again, so look at the core again now and then.
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                return pause.WaitForAll(TimeSpan.Zero);
            }

            TimeSpan left = Stopwatch.GetElapsedTime(now, deadline);
            if (pause.WaitForAll(left < CoreRecheck ? left : CoreRecheck))
            {
                return true;
            }
        }
    }

    protected override void OnDumpPauseEnded()
    {
        if (_coreHeldForDump)
        {
            _coreHeldForDump = false;
            Monitor.Exit(_core);
        }
    }

    public override void Start()
    {
    }

    public override void Schedule(TaskCore task, ScheduleHint hint) => Schedule(task, ThreadData.IfCreated);

    public override void ScheduleSpawned(TaskCore task, ThreadData? thread) => Schedule(task, thread);

    /// <summary>Schedules from the calling thread, whose data (null if it has none) the caller has read.</summary>
    private void Schedule(TaskCore task, ThreadData? thread)
    {
        if (_stopped)
        {
            ThreadPoolPoller.Poll(task);
            return;
        }

        if (thread?.Driving == this)
        {
            _local.Enqueue(new TaskSlot(task));
            _stats.LocalSchedules++;
            _stats.LocalQueueDepth = _local.Count;
            return;
        }

        _inject.Push(task);
        Runtime.Driver.Unpark();
        if (_stopped)
        {
            // Stop drained the inject queue before this push landed (it sets the flag, then drains;
            // the push is a full fence before this read): hand what is left to the pool.
            DrainInjectToPool();
        }
    }

    public override void BlockOn(TaskCore root, ManualResetEventSlim? done)
    {
        Monitor.Enter(_core);
        try
        {
            Drive(() => root.IsCompleted, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            Monitor.Exit(_core);
        }
    }

    public override void DrainForShutdown(Func<bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        if (ThreadData.IfCreated?.Driving == this)
        {
            // Shutdown from inside a task on this thread: the outer loop keeps driving.
            return;
        }

        if (!Monitor.TryEnter(_core, timeout))
        {
            return;
        }

        try
        {
            TimeSpan left = timeout - clock.Elapsed;
            Drive(done, left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        finally
        {
            Monitor.Exit(_core);
        }
    }

    public override void Stop(TimeSpan timeout)
    {
        _stopped = true;
        var leftovers = new List<TaskCore>();
        if (Monitor.TryEnter(_core, timeout))
        {
            try
            {
                foreach (TaskSlot slot in _local)
                {
                    leftovers.Add(slot.Task!);
                }

                _local.Clear();
            }
            finally
            {
                Monitor.Exit(_core);
            }
        }

        foreach (TaskCore task in leftovers)
        {
            ThreadPoolPoller.Poll(task);
        }

        DrainInjectToPool();
    }

    private void DrainInjectToPool()
    {
        var leftovers = new List<TaskCore>();
        _inject.DrainTo(leftovers);
        foreach (TaskCore task in leftovers)
        {
            ThreadPoolPoller.Poll(task);
        }
    }

    private void Drive(Func<bool> done, TimeSpan limit)
    {
        ThreadData thread = ThreadData.Current;
        CurrentThreadScheduler? previous = thread.Driving;
        RuntimeCore? previousRuntime = thread.Runtime;
        thread.Driving = this;
        thread.Runtime = Runtime;
        bool outerLoop = thread.SetSchedulerLoop(true);
        RuntimeOptions options = Runtime.Options;
        RuntimeHooks hooks = Runtime.Hooks;
        Driver driver = Runtime.Driver;
        bool histogram = options.EnablePollTimeHistogram;
        long started = Stopwatch.GetTimestamp();
        long limitTimestamp = limit == Timeout.InfiniteTimeSpan ? long.MaxValue : started + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        long busySince = started;
        hooks.ThreadStart?.Invoke();
        try
        {
            while (!done())
            {
                if (RunNext(options, driver, histogram))
                {
                    continue;
                }

                if (Stopwatch.GetTimestamp() >= limitTimestamp)
                {
                    return;
                }

                _stats.BusyTicks += Stopwatch.GetElapsedTime(busySince).Ticks;
                _stats.Parks++;
                hooks.ThreadPark?.Invoke();
                int maxWait = limitTimestamp == long.MaxValue ? Timeout.Infinite
                    : (int)Math.Clamp((limitTimestamp - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency + 1, 0, int.MaxValue - 1);
                if (driver.SpinForUnpark(_spinTicks))
                {
                    _stats.SpinWakes++;
                }
                else
                {
                    driver.Park(_isIdle, maxWait);
                }

                thread.RefreshClock();
                hooks.ThreadUnpark?.Invoke();
                busySince = Stopwatch.GetTimestamp();
            }
        }
        finally
        {
            _stats.BusyTicks += Stopwatch.GetElapsedTime(busySince).Ticks;
            hooks.ThreadStop?.Invoke();
            thread.Driving = previous;
            thread.Runtime = previousRuntime;
            thread.SetSchedulerLoop(outerLoop);
        }
    }

    /// <summary>
    /// One turn of <see cref="Drive"/>: the dump pause and maintenance when due, then the next task, run;
    /// false if there was none.
    /// </summary>
    /// <remarks>
    /// Never inlined, for the reason given on the multi-thread worker's <c>RunNext</c>: a program that
    /// drives its runtime from one long <c>BlockOn</c> would otherwise run its hot path as the on-stack
    /// replacement of <see cref="Drive"/>, compiled at a moment that varies from process to process.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RunNext(RuntimeOptions options, Driver driver, bool histogram)
    {
        CheckDumpPause();
        if (--_untilMaintenance <= 0)
        {
            _untilMaintenance = options.EventInterval;
            driver.Poll();
        }

        TaskCore? task = Next(options.GlobalQueueInterval);
        if (task is null)
        {
            return false;
        }

        RunTask(task, histogram);
        return true;
    }

    private TaskCore? Next(int globalInterval)
    {
        if (--_untilInjectFirst <= 0)
        {
            _untilInjectFirst = globalInterval;
            return TakeInjected() ?? TakeLocal();
        }

        return TakeLocal() ?? TakeInjected();
    }

    /// <summary>
    /// Called on the driving thread when the polled task spent its coop budget: true (counting a tick
    /// towards maintenance) if nothing else is queued, so the task may go on instead of yielding.
    /// </summary>
    public bool TryRenewBudget()
    {
        if (_local.Count != 0 || !_inject.IsEmpty || _untilMaintenance <= 1)
        {
            return false;
        }

        _untilMaintenance--;
        return true;
    }

    private TaskCore? TakeLocal()
    {
        if (_local.TryDequeue(out TaskSlot slot))
        {
            TaskCore task = slot.Task!;
            _stats.LocalQueueDepth = _local.Count;
            return task;
        }

        return null;
    }

    private TaskCore? TakeInjected()
    {
        // Move a batch to the local queue: with busy local work the inject queue is only visited
        // every GlobalQueueInterval ticks, and one task per visit would starve a burst of remote
        // spawns. The batch bound keeps one visit short.
        TaskCore? first = _inject.PopBatchInto(InjectBatch + 1, new LocalSink(_local));
        if (first is not null)
        {
            _stats.LocalQueueDepth = _local.Count;
        }

        return first;
    }

    private void RunTask(TaskCore task, bool histogram)
    {
        _stats.Polls++;
        long start = histogram ? Stopwatch.GetTimestamp() : 0;
        PollResult result = task.Poll();
        if (histogram)
        {
            _stats.RecordPollTime(Stopwatch.GetElapsedTime(start).Ticks);
        }

        if (result is PollResult.Notified or PollResult.Yield)
        {
            if (result == PollResult.Yield)
            {
                _stats.ForcedYields++;
            }

            _local.Enqueue(new TaskSlot(task));
            _stats.LocalQueueDepth = _local.Count;
        }
    }

    /// <summary>An inject batch goes to the driver's local queue.</summary>
    private readonly struct LocalSink(Queue<TaskSlot> local) : ITaskSink
    {
        public void Add(TaskCore task) => local.Enqueue(new TaskSlot(task));
    }
}
