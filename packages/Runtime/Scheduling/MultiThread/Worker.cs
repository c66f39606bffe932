using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Spindle.Scheduling.MultiThread;

/// <summary>
/// One worker thread of the multi-thread flavour (tokio's <c>worker.rs</c> is the model).
/// </summary>
/// <remarks>
/// <para>
/// Loop, per tick: every <c>EventInterval</c> ticks fire due timers; take the next task (the
/// inject queue first every <c>GlobalQueueInterval</c> ticks, else LIFO slot, local ring, a batch
/// from the inject queue); else steal half of a random victim's ring (as one of at most half the
/// workers searching); else park (on the driver if free, else on the own monitor).
/// </para>
/// <para>
/// LIFO slot: a task woken by the task running on this worker goes to the slot and runs next
/// (message-passing ping-pong stays on one core); at most <see cref="MaxLifoPolls"/> slot polls in a
/// row, then the slot's task goes to the back of the ring so the ring is not starved.
/// </para>
/// <para>
/// Parking: the worker moves itself to the sleeper list first, then re-checks for work it could
/// have missed (the last searcher wakes another worker if any queue holds work), then parks. A
/// wake-up that finds the worker still in the sleeper list was spurious and it parks again.
/// </para>
/// </remarks>
internal sealed class Worker
{
    /// <summary>DESIGN.md §2 (tokio's MAX_LIFO_POLLS_PER_TICK).</summary>
    private const int MaxLifoPolls = 3;

    private readonly MultiThreadScheduler _scheduler;
    private readonly WorkerStats _stats;
    private readonly Func<bool> _isIdle;
    private TaskCore? _lifo;

    /// <summary>
    /// A task that yielded while nothing else was queued here: it runs again only after this worker
    /// has looked for other work (inject queue, then stealing), as tokio defers a yielded task, or at
    /// the next maintenance tick at the latest. Pushed
    /// back to the local queue instead, it would be the only local task and be polled again at once,
    /// so a task yielding in a loop would hold its worker while other workers' queues or the inject
    /// queue filled up.
    /// </summary>
    private TaskCore? _deferred;
    private bool _isSearching;
    // Countdowns, not a tick modulo: an integer division per poll showed in spawn-heavy profiles.
    private int _untilMaintenance;
    private int _untilInjectFirst;
    // Set when a poll ended in a yield: the next pick looks at the inject queue before the local
    // queue, so a task that yields in a loop does not hold remote work off for a whole interval.
    private bool _injectAfterYield;
    private uint _random;

    public Worker(MultiThreadScheduler scheduler, int index, WorkerStats stats)
    {
        _scheduler = scheduler;
        Index = index;
        _stats = stats;
        Queue = new LocalQueue();
        Parker = new Parker(scheduler.SharedDriver, scheduler.Runtime.Options.SpinBeforePark);
        _random = (uint)(index * 0x9E3779B9u + 1);
        _isIdle = scheduler.IsIdle;
    }

    public static Worker? Current => ThreadData.IfCreated?.Worker;

    public int Index { get; }

    public LocalQueue Queue { get; }

    public Parker Parker { get; }

    public MultiThreadScheduler Scheduler => _scheduler;

    public Thread? Thread { get; set; }

    public void Run()
    {
        ThreadData thread = ThreadData.Current;
        thread.Worker = this;
        thread.SetSchedulerLoop(true);
        RuntimeCore runtime = _scheduler.Runtime;
        thread.Runtime = runtime;
        RuntimeHooks hooks = runtime.Hooks;
        RuntimeOptions options = runtime.Options;
        bool histogram = options.EnablePollTimeHistogram;
        hooks.ThreadStart?.Invoke();
        long busySince = Stopwatch.GetTimestamp();
        try
        {
            while (!_scheduler.IsStopping)
            {
                if (RunNext(options, histogram))
                {
                    continue;
                }

                _stats.BusyTicks += Stopwatch.GetElapsedTime(busySince).Ticks;
                Park(hooks);
                thread.RefreshClock();
                busySince = Stopwatch.GetTimestamp();
            }
        }
        finally
        {
            _stats.BusyTicks += Stopwatch.GetElapsedTime(busySince).Ticks;
            hooks.ThreadStop?.Invoke();
            thread.Worker = null;
            thread.Runtime = null;
            thread.SetSchedulerLoop(false);
        }
    }

    /// <summary>
    /// One turn of the loop: maintenance when due, then the next task, run; false if there was none.
    /// </summary>
    /// <remarks>
    /// A method of its own, never inlined, so the JIT compiles the hot path as an ordinary method: called
    /// once per task, it goes through the tiers with the profile its calls gathered. Inside
    /// <see cref="Run"/>, which is entered once per thread, it could only be reached by on-stack
    /// replacement, compiled at a moment that depends on how the first loop iterations went: the same
    /// remote-spawn workload then ran at 600-630 µs in some processes and 800-890 µs in others.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RunNext(RuntimeOptions options, bool histogram)
    {
        if (--_untilMaintenance <= 0)
        {
            _untilMaintenance = options.EventInterval;
            Maintenance();
            if (_deferred is not null)
            {
                // A deferred task waits at most one event interval, however much other work
                // keeps turning up (tokio wakes its deferred tasks when it polls the driver).
                PushLocal(_deferred);
                _deferred = null;
            }
        }

        TaskCore? task = NextTask(options.GlobalQueueInterval) ?? Steal() ?? TakeDeferred();
        if (task is null)
        {
            return false;
        }

        RunTask(task, histogram);
        return true;
    }

    private void Maintenance()
    {
        SharedDriver driver = _scheduler.SharedDriver;
        if (driver.TryLock())
        {
            try
            {
                driver.Driver.Poll();
            }
            finally
            {
                driver.Unlock();
            }
        }
    }

    private TaskCore? NextTask(int globalInterval)
    {
        InjectQueue inject = _scheduler.Inject;
        if (--_untilInjectFirst <= 0 || _injectAfterYield)
        {
            _untilInjectFirst = globalInterval;
            _injectAfterYield = false;
            // Take a fair share, not one task: with busy local work, one remote task per interval
            // would leave a burst of remote spawns waiting for thousands of ticks.
            TaskCore? fair = inject.IsEmpty ? null : inject.PopBatchInto(InjectShare(inject), Queue);
            if (fair is not null)
            {
                return fair;
            }
        }

        TaskCore? task = _lifo;
        if (task is not null)
        {
            _lifo = null;
            return task;
        }

        task = Queue.Pop();
        if (task is not null)
        {
            return task;
        }

        if (inject.IsEmpty)
        {
            return null;
        }

        return inject.PopBatchInto(InjectShare(inject), Queue);
    }

    /// <summary>
    /// A fair share of the inject queue so other workers get some too (tokio's formula), capped so
    /// the batch fits in half of what is free in the local ring.
    /// </summary>
    private int InjectShare(InjectQueue inject) =>
        Math.Max(1, Math.Min(inject.Count / _scheduler.WorkerCount + 1, (LocalQueue.Capacity - Queue.Count) / 2));

    private TaskCore? Steal()
    {
        if (!_isSearching)
        {
            if (!_scheduler.Idle.TransitionWorkerToSearching())
            {
                return null;
            }

            _isSearching = true;
        }

        Worker[] workers = _scheduler.Workers;
        int count = workers.Length;
        int start = (int)(NextRandom() % (uint)count);
        for (int i = 0; i < count; i++)
        {
            Worker victim = workers[(start + i) % count];
            if (ReferenceEquals(victim, this))
            {
                continue;
            }

            TaskCore? task = victim.Queue.StealInto(Queue, _stats);
            if (task is not null)
            {
                return task;
            }
        }

        return _scheduler.Inject.Pop();
    }

    /// <summary>The deferred task, once the search for other work found none.</summary>
    private TaskCore? TakeDeferred()
    {
        TaskCore? task = _deferred;
        if (task is null)
        {
            return null;
        }

        _deferred = null;
        if (_isSearching)
        {
            // The search found nothing (this is the worker's own task), so unlike RunTask this wakes
            // nobody just for finding it; but as when parking, the last searcher leaving must not
            // strand work pushed meanwhile by a spawner that counted on a searcher to find it.
            _isSearching = false;
            if (_scheduler.Idle.TransitionWorkerFromSearching())
            {
                _scheduler.NotifyIfWorkPending();
            }
        }

        return task;
    }

    private uint NextRandom()
    {
        // xorshift32: cheap victim choice; quality barely matters here.
        uint x = _random;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _random = x;
        return x;
    }

    private void RunTask(TaskCore task, bool histogram)
    {
        if (_isSearching)
        {
            _isSearching = false;
            if (_scheduler.Idle.TransitionWorkerFromSearching())
            {
                // The last searcher found work: wake another to look for more (tokio's rule).
                _scheduler.NotifyParked();
            }
        }

        PollOnce(task, histogram);
        for (int lifoPolls = 0; ; lifoPolls++)
        {
            TaskCore? next = _lifo;
            if (next is null)
            {
                return;
            }

            _lifo = null;
            if (lifoPolls >= MaxLifoPolls)
            {
                PushLocal(next);
                return;
            }

            PollOnce(next, histogram);
        }
    }

    private void PollOnce(TaskCore task, bool histogram)
    {
        _scheduler.CheckDumpPause();
        _stats.Polls++;
        long start = histogram ? Stopwatch.GetTimestamp() : 0;
        PollResult result = task.Poll();
        if (histogram)
        {
            _stats.RecordPollTime(Stopwatch.GetElapsedTime(start).Ticks);
        }

        switch (result)
        {
            case PollResult.Notified:
                ScheduleLocal(task, ScheduleHint.Normal);
                break;
            case PollResult.Yield:
                _stats.ForcedYields++;
                if (_deferred is null && _lifo is null && !Queue.HasTasks)
                {
                    _deferred = task;
                }
                else
                {
                    PushLocal(task);
                }

                _injectAfterYield = true;
                break;
            default:
                break;
        }
    }

    /// <summary>Schedules a task woken on this worker's thread.</summary>
    public void ScheduleLocal(TaskCore task, ScheduleHint hint)
    {
        _stats.LocalSchedules++;
        if (hint == ScheduleHint.Yield)
        {
            PushLocal(task);
            return;
        }

        TaskCore? previous = _lifo;
        _lifo = task;
        if (previous is null)
        {
            return;
        }

        PushLocal(previous);
        _scheduler.NotifyParked();
    }

    private void PushLocal(TaskCore task)
    {
        if (Queue.PushBack(task, _scheduler.Inject))
        {
            _stats.Overflows++;
        }

        _stats.LocalQueueDepth = Queue.Count;
    }

    /// <summary>
    /// Called on this worker's thread when the polled task spent its coop budget: true (counting a
    /// tick towards maintenance) if nothing else waits here, so the task may go on instead of yielding.
    /// </summary>
    public bool TryRenewBudget()
    {
        if (_lifo is not null || Queue.HasTasks || !_scheduler.Inject.IsEmpty || _untilMaintenance <= 1)
        {
            return false;
        }

        _untilMaintenance--;
        return true;
    }

    /// <summary>Whether the worker holds queued work; read by other workers for the paused clock's idle check.</summary>
    public bool HasTasks => Volatile.Read(ref _lifo) is not null || Volatile.Read(ref _deferred) is not null || Queue.HasTasks;

    private void Park(RuntimeHooks hooks)
    {
        if (HasTasks)
        {
            return;
        }

        bool wasLastSearcher = _scheduler.Idle.TransitionWorkerToParked(Index, _isSearching);
        _isSearching = false;
        if (wasLastSearcher)
        {
            _scheduler.NotifyIfWorkPending();
        }

        if (_scheduler.Runtime.Clock.IsPaused && _scheduler.IsIdle())
        {
            // The last worker to go idle lets the driver holder re-check for auto-advance; it may
            // have parked while this worker was still busy.
            _scheduler.SharedDriver.Driver.Unpark();
        }

        _stats.Parks++;
        hooks.ThreadPark?.Invoke();
        while (!_scheduler.IsStopping)
        {
            if (Parker.Park(_isIdle))
            {
                _stats.SpinWakes++;
            }

            _scheduler.CheckDumpPause();
            if (HasTasks)
            {
                // Woken by a timer that scheduled on this thread: leave the sleeper list ourselves.
                // If a notifier removed us first, it counted us as searching: take that role, or
                // the searching count would leak and no parked worker would ever be woken again.
                if (!_scheduler.Idle.UnparkWorkerById(Index))
                {
                    _isSearching = true;
                }

                break;
            }

            if (!_scheduler.Idle.IsParked(Index))
            {
                // A notifier took us off the list and counted us as searching.
                _isSearching = true;
                break;
            }
        }

        hooks.ThreadUnpark?.Invoke();
    }

    /// <summary>After the thread has exited: hands back whatever is still queued here.</summary>
    public void DrainTo(List<TaskCore> tasks)
    {
        if (_lifo is not null)
        {
            tasks.Add(_lifo);
            _lifo = null;
        }

        if (_deferred is not null)
        {
            tasks.Add(_deferred);
            _deferred = null;
        }

        Queue.DrainTo(tasks);
    }
}
