using System;
using System.Collections.Generic;
using Spindle.Internal;

namespace Spindle.Scheduling;

/// <summary>
/// Everything Spindle keeps per thread, in one object behind one thread-static field: the task
/// being polled, the continuations it yielded, its coop budget, and what drives this thread (a
/// worker or a current-thread <c>BlockOn</c>).
/// </summary>
/// <remarks>
/// One object rather than a thread-static field each, because on Linux every access to a
/// thread-static field costs a call into the C runtime (<c>__tls_get_addr</c>, a few nanoseconds).
/// A poll touches the task, the yield list and the budget about a dozen times; reading the
/// thread's object once and then its fields makes those plain loads. Fields are read and written
/// only by the owning thread.
/// </remarks>
internal sealed class ThreadData
{
    [ThreadStatic]
    private static ThreadData? t_data;

    /// <summary>The task being polled on this thread, or null.</summary>
    public TaskCore? Task;

    /// <summary>
    /// Continuations yielded by <see cref="Task"/> during its poll. Yields happen only inside a
    /// poll, on its thread, so they need no field (and no lock) on the task: the poll's epilogue
    /// moves them to the task's queue. A nested poll saves and restores the outer poll's list.
    /// </summary>
    public ContinuationQueue Yielded;

    /// <summary>Where <see cref="Yielded"/> spills past its first entry (set aside with it by a nested poll).</summary>
    public Queue<(Delegate Callback, object? State)>? YieldedRest;

    /// <summary>Coop budget left in the current poll (<see cref="Coop"/>).</summary>
    public int CoopRemaining;

    /// <summary>The runtime whose thread this is (worker, blocking thread or <c>BlockOn</c> caller) when no task is current.</summary>
    public RuntimeCore? Runtime;

    /// <summary>The multi-thread worker running on this thread, or null.</summary>
    public MultiThread.Worker? Worker;

    /// <summary>The current-thread scheduler that is driving (<c>BlockOn</c>) on this thread, or null.</summary>
    public CurrentThread.CurrentThreadScheduler? Driving;

    /// <summary>Recycled <see cref="Sync.SyncWaiter"/>s (a free list through their queue links), at most a handful.</summary>
    public Sync.SyncWaiter? FreeWaiters;

    /// <summary>Length of <see cref="FreeWaiters"/>.</summary>
    public int FreeWaiterCount;

    /// <summary>The last task id handed out from this thread's block (<see cref="TaskCore.NextId"/>).</summary>
    public long LastTaskId;

    /// <summary>The last id of this thread's block; a block is exhausted when <see cref="LastTaskId"/> reaches it.</summary>
    public long TaskIdBlockEnd;

    /// <summary>
    /// How many polls after a clock read may reuse it in a scheduler loop (<see cref="PollEndMilliseconds"/>);
    /// 0 elsewhere, so a thread that polls now and then (a blocking-pool thread, a thread-pool thread
    /// finishing tasks after shutdown) reads the clock every time.
    /// </summary>
    public const int ClockReusesInLoop = 15;

    /// <summary>Polls that may still reuse <see cref="_clockMs"/>; granted only by a running scheduler loop.</summary>
    private int _clockReuses;

    /// <summary>What <see cref="_clockReuses"/> starts at after a clock read: <see cref="ClockReusesInLoop"/> inside a scheduler loop, else 0.</summary>
    private int _clockGrant;

    private long _clockMs;

    /// <summary>This thread's data, created on first use.</summary>
    public static ThreadData Current => t_data ?? Create();

    /// <summary>This thread's data if it was ever created (a thread Spindle never touched has none).</summary>
    public static ThreadData? IfCreated => t_data;

    /// <summary>The task being polled on this thread, or null; never creates the thread's data.</summary>
    public static TaskCore? CurrentTask => t_data?.Task;

    private static ThreadData Create() => t_data = new ThreadData();

    /// <summary>
    /// <see cref="Environment.TickCount64"/> for a task's poll-end time, read at most once every
    /// <see cref="ClockReusesInLoop"/> + 1 polls while a scheduler loop keeps this thread busy (a
    /// read costs about as much as the rest of a short task's poll). Between reads the value lags by
    /// the polls that ran since; a loop calls <see cref="RefreshClock"/> after it slept, so an idle
    /// stretch never leaks into the next task's time.
    /// </summary>
    public long PollEndMilliseconds()
    {
        if (_clockReuses > 0)
        {
            _clockReuses--;
            return _clockMs;
        }

        _clockReuses = _clockGrant;
        return _clockMs = Environment.TickCount64;
    }

    /// <summary>Makes the next <see cref="PollEndMilliseconds"/> read the clock (the thread slept or waited).</summary>
    public void RefreshClock() => _clockReuses = 0;

    /// <summary>
    /// A scheduler loop starts (<paramref name="inLoop"/>) or ends on this thread: grants or
    /// withdraws clock reuse. Returns the previous setting, for a loop nested in another to restore.
    /// </summary>
    public bool SetSchedulerLoop(bool inLoop)
    {
        bool previous = _clockGrant != 0;
        _clockGrant = inLoop ? ClockReusesInLoop : 0;
        _clockReuses = 0;
        return previous;
    }
}
