using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Spindle.Diagnostics;
using Spindle.Internal;

namespace Spindle.Scheduling;

/// <summary>
/// The one runtime object behind every spawned task: identity, state, pending continuations,
/// waiting leaves, cancellation, metrics, and the <see cref="SynchronizationContext"/> that is
/// current while the task runs, so every <c>await</c> in the task comes back here.
/// </summary>
/// <remarks>
/// <para>
/// State word (<see cref="_state"/>), updated only with CAS:
/// <code>
///            wake                 poll starts                poll ends
///   Idle ───────────▶ Scheduled ────────────▶ Running ─────────────────▶ Idle
///                        ▲                      │ wake while running: +Notified
///                        └──────────────────────┘ poll ends with Notified or undrained work
///   any ── root completes ──▶ Complete (terminal; later wakes run leftovers on the thread pool)
/// </code>
/// Invariants: a task is in at most one run queue (only the Idle→Scheduled transition enqueues it);
/// only the worker that moved it to Running polls it; Complete is never cleared.
/// </para>
/// <para>
/// A wake (<see cref="Enqueue"/>) first adds the continuation under the task's spin lock (whose
/// release is a full fence), then reads the state: Idle → it schedules the task; Scheduled → the
/// coming poll will drain the queue; Running → it sets Notified. A poll ends by consuming Notified,
/// then checking the queue under the lock, then clearing Running with a CAS that fails if a new
/// Notified arrived meanwhile. So every continuation is either seen by the poll or schedules the
/// task itself: no wake is lost.
/// </para>
/// </remarks>
internal abstract partial class TaskCore : SynchronizationContext
{
    protected const int StateScheduled = 1;
    protected const int StateRunning = 2;
    protected const int StateNotified = 4;
    protected const int StateComplete = 8;
    protected const int StateAbortRequested = 16;
    protected const int StateStarted = 32;

    /// <summary>Set with <see cref="StateComplete"/>, in the same CAS, when the task succeeded.</summary>
    protected const int StateSucceeded = 64;

    /// <summary>Set with <see cref="StateComplete"/>, in the same CAS, when the task faulted (neither this nor <see cref="StateSucceeded"/>: aborted).</summary>
    protected const int StateFaulted = 128;

    /// <summary>Task ids are taken from the shared counter in blocks of this many (<see cref="NextId"/>).</summary>
    internal const int IdBlock = 32;

    private static long s_nextId;

    private int _state;
    private SpinGate _lock;
    private ContinuationQueue _pending;
    private TaskExtras? _extras;

    /// <summary>Where the task was spawned (shared by the tasks spawned at the same place).</summary>
    private readonly SpawnSite _spawnSite;

    protected TaskCore(long id, Scheduler scheduler, string? name, string? spawnFile, int spawnLine, string? spawnMember)
    {
        Scheduler = scheduler;
        Id = id;
        if (name is not null)
        {
            _extras = new TaskExtras { Name = name };
        }

        _spawnSite = SpawnSite.Of(spawnFile, spawnLine, spawnMember);
    }

    /// <summary>
    /// A new task id: unique for the process's life, increasing in spawn order among the tasks
    /// spawned from one thread. A thread with Spindle's thread data (a worker, a <c>BlockOn</c> caller)
    /// takes ids from the shared counter <see cref="IdBlock"/> at a time, so spawns on two workers do
    /// not contend for one counter's cache line on every spawn (an atomic add on a line the other
    /// core just wrote); any other thread takes one id at a time. Ids of tasks spawned from different
    /// threads are therefore unique but not in spawn order, as tokio's and .NET's task ids.
    /// </summary>
    internal static long NextId(ThreadData? thread)
    {
        if (thread is null)
        {
            return Interlocked.Increment(ref s_nextId);
        }

        long id = thread.LastTaskId;
        if (id == thread.TaskIdBlockEnd)
        {
            long end = Interlocked.Add(ref s_nextId, IdBlock);
            id = end - IdBlock;
            thread.TaskIdBlockEnd = end;
        }

        thread.LastTaskId = ++id;
        return id;
    }

    /// <summary>The task being polled on this thread, or null.</summary>
    public static new TaskCore? Current => ThreadData.CurrentTask;

    /// <summary>
    /// Test seam, null outside tests: called with the joining task, on its thread, between the store of
    /// its join continuation and its registration as waiting on the join, a window no test can
    /// otherwise reach (a completion claiming the join there is what the registration must survive).
    /// </summary>
    internal static Action<TaskCore>? AfterJoinStoredForTests;

    public long Id { get; }

    public string? Name => Volatile.Read(ref _extras)?.Name;

    /// <summary>The task's rarely used state, allocated on first use (at most one per task).</summary>
    internal TaskExtras Extras => Volatile.Read(ref _extras) ?? CreateExtras();

    /// <summary>The extras if they exist, without creating them.</summary>
    internal TaskExtras? ExtrasIfCreated => Volatile.Read(ref _extras);

    private TaskExtras CreateExtras()
    {
        var created = new TaskExtras();
        return Interlocked.CompareExchange(ref _extras, created, null) ?? created;
    }

    /// <summary>Where the task was spawned, shared with the other tasks spawned there.</summary>
    internal SpawnSite SpawnSite => _spawnSite;

    public string? SpawnFilePath => _spawnSite.FilePath;

    public int SpawnLineNumber => _spawnSite.LineNumber;

    public string? SpawnMemberName => _spawnSite.MemberName;

    /// <summary>The scheduler that polls this task (a runtime flavour, a LocalSet or the blocking pool).</summary>
    public Scheduler Scheduler { get; set; }

    public RuntimeCore Runtime => Scheduler.Runtime;

    /// <summary>
    /// Polls so far. Kept in 32 bits (it stops at <see cref="uint.MaxValue"/>, over four billion polls)
    /// with <see cref="_lastPollEnd"/> beside it: two longs would make every task object 8 bytes larger.
    /// </summary>
    public long PollCount => Volatile.Read(ref _pollCount);

    private uint _pollCount;

    /// <summary>
    /// The low 32 bits of <see cref="Environment.TickCount64"/> (real time, milliseconds) when the last
    /// poll ended. Real time on purpose: "how long has this task been stuck" is a wall-clock question
    /// even under a paused test clock. A busy scheduler thread reads the clock once per 16 polls
    /// (<see cref="ThreadData.PollEndMilliseconds"/>), so the value may be early by the length of the
    /// few polls before it on that thread: fine for a diagnostic in milliseconds.
    /// </summary>
    private uint _lastPollEnd;

    /// <summary>
    /// Milliseconds from the end of the last poll to <paramref name="nowMilliseconds"/> (a
    /// <see cref="Environment.TickCount64"/> reading); meaningless before the first poll. Computed on
    /// the low 32 bits, so it is exact for a task idle less than 49 days.
    /// </summary>
    public long MillisecondsSinceLastPoll(long nowMilliseconds) => MillisecondsSince(Volatile.Read(ref _lastPollEnd), nowMilliseconds);

    /// <summary>Milliseconds from a clock reading kept in its low 32 bits to a full one (exact within 49 days).</summary>
    internal static long MillisecondsSince(uint lowBits, long nowMilliseconds) => (uint)((uint)nowMilliseconds - lowBits);

    // Intrusive links owned by other components; each is touched only under that component's lock.
    internal TaskCore? QueueNext;
    internal TaskSlot[]? RegistryChunk;
    internal int RegistrySlot;

    public bool IsCompleted => (Volatile.Read(ref _state) & StateComplete) != 0;

    /// <summary>
    /// Whether the task completed and succeeded: an acquire read of the state, after which the
    /// result written before completion may be read (a join of a finished task returns it directly).
    /// </summary>
    public bool IsCompletedSuccessfully => (Volatile.Read(ref _state) & StateSucceeded) != 0;

    public bool IsAbortRequested => (Volatile.Read(ref _state) & StateAbortRequested) != 0;

    /// <summary>
    /// How the task ended, from the state word (an acquire read: the result or error written before
    /// completion may be read after it), or <see cref="JoinOutcome.Pending"/>. The outcome lives in
    /// the completing CAS rather than in a field of its own: a byte more in the task object would
    /// cost 8 (an untyped task's fields end on a multiple of 8 without it).
    /// </summary>
    public JoinOutcome Outcome
    {
        get
        {
            int s = Volatile.Read(ref _state);
            return (s & StateComplete) == 0 ? JoinOutcome.Pending
                : (s & StateSucceeded) != 0 ? JoinOutcome.Succeeded
                : (s & StateFaulted) != 0 ? JoinOutcome.Faulted
                : JoinOutcome.Aborted;
        }
    }

    protected bool IsStarted => (Volatile.Read(ref _state) & StateStarted) != 0;

    public virtual bool IsBlocking => false;

    public TaskState SnapshotState()
    {
        int s = Volatile.Read(ref _state);
        return (s & StateComplete) != 0 ? TaskState.Completed
            : IsBlocking ? TaskState.Blocking
            : (s & StateRunning) != 0 ? TaskState.Running
            : (s & StateScheduled) != 0 ? TaskState.Scheduled
            : TaskState.Idle;
    }

    /// <summary>
    /// For task dumps: the object behind the task's root <see cref="System.Threading.Tasks.Task"/> or
    /// <see cref="System.Threading.Tasks.ValueTask"/> (an async method's state-machine box, or an
    /// <see cref="System.Threading.Tasks.Sources.IValueTaskSource"/> with its <paramref name="token"/>),
    /// or null when there is none (not started, blocking, completed). A racy read: the dump walker
    /// checks what it finds and never trusts it.
    /// </summary>
    internal virtual object? GetRootForDump(out short token)
    {
        token = 0;
        return null;
    }

    /// <summary>Runs the user's code for the first time (invokes the spawned delegate), inside the first poll on <paramref name="pollThread"/>.</summary>
    protected abstract void StartRoot(ThreadData pollThread);

    /// <summary>Called after each poll on the polling thread: completes the task if its root finished during the poll.</summary>
    protected virtual void CheckRootAfterPoll(ThreadData pollThread)
    {
    }

    /// <summary>Completes the task as aborted without ever running it, inside its first poll on <paramref name="pollThread"/>.</summary>
    protected abstract void CompleteAbortedBeforeStart(ThreadData pollThread);

    /// <summary>Marks the task Scheduled before it becomes visible (registry, JoinSet) and is queued.</summary>
    internal void MarkScheduledAtSpawn()
    {
        // Spawn is the only writer at this point: the task is not yet visible to any other thread.
        _state = StateScheduled;
    }

    // ---- SynchronizationContext: every await in the task comes back through here ----

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        Enqueue(d, state);
    }

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        // Synchronous by contract: run on the calling thread.
        d(state);
    }

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;

    // ---- waking ----

    /// <summary>Queues a continuation to run in the task's next poll and schedules the task.</summary>
    public void Enqueue(Delegate callback, object? state)
    {
        EnterLock();
        EnqueuePendingLocked(callback, state);
        ExitLock();
        Wake(hint: ScheduleHint.Normal);
    }

    /// <summary>Queues a continuation that must not run before the task has gone to the back of the run queue.</summary>
    public void EnqueueYield(Delegate callback, object? state)
    {
        ThreadData? thread = ThreadData.IfCreated;
        if (thread is not null && ReferenceEquals(thread.Task, this))
        {
            // Yields happen only inside a poll, on its thread (ThreadData.Yielded).
            thread.Yielded.Enqueue(callback, state, ref thread.YieldedRest);
        }
        else
        {
            // Not inside this task's poll (no Spindle leaf does this): an ordinary wake, scheduled as a yield.
            EnterLock();
            EnqueuePendingLocked(callback, state);
            ExitLock();
        }

        Wake(hint: ScheduleHint.Yield);
    }

    /// <summary>Appends to the pending queue (under the lock), spilling past its inline entry into the extras.</summary>
    private void EnqueuePendingLocked(Delegate callback, object? state)
    {
        if (!_pending.TryEnqueueFirst(callback, state))
        {
            TaskExtras extras = Extras;
            (extras.PendingRest ??= new Queue<(Delegate, object?)>()).Enqueue((callback, state));
        }
    }

    private void Wake(ScheduleHint hint)
    {
        int s = Volatile.Read(ref _state);
        while (true)
        {
            if ((s & StateComplete) != 0)
            {
                DrainAfterCompletion();
                return;
            }

            int next;
            if ((s & StateRunning) != 0)
            {
                if ((s & StateNotified) != 0)
                {
                    return;
                }

                next = s | StateNotified;
            }
            else if ((s & StateScheduled) != 0)
            {
                return;
            }
            else
            {
                next = s | StateScheduled;
            }

            // Pairs with the CAS in Poll's epilogue: exactly one side sees the other.
            int seen = Interlocked.CompareExchange(ref _state, next, s);
            if (seen == s)
            {
                if ((next & StateScheduled) != 0 && (s & StateScheduled) == 0)
                {
                    Scheduler.Schedule(this, hint);
                }

                return;
            }

            s = seen;
        }
    }

    /// <summary>
    /// Continuations that arrive after the root completed (e.g. fire-and-forget work started inside
    /// the task) still have to run so their own <c>finally</c> blocks execute: on the thread pool.
    /// </summary>
    private void DrainAfterCompletion()
    {
        while (true)
        {
            EnterLock();
            bool got = _pending.TryDequeue(out Delegate callback, out object? state, ExtrasIfCreated?.PendingRest);
            ExitLock();
            if (!got)
            {
                return;
            }

            ThreadPool.UnsafeQueueUserWorkItem(static s =>
            {
                var (cb, st) = ((Delegate, object?))s!;
                ContinuationQueue.Invoke(cb, st);
            }, (callback, state), preferLocal: false);
        }
    }

    // ---- polling ----

    /// <summary>Runs the task's pending continuations once on the calling thread.</summary>
    public PollResult Poll()
    {
        int s = Volatile.Read(ref _state);
        while (true)
        {
            if ((s & StateComplete) != 0)
            {
                DrainAfterCompletion();
                return PollResult.Complete;
            }

            int next = (s & ~(StateScheduled | StateNotified)) | StateRunning | StateStarted;
            int seen = Interlocked.CompareExchange(ref _state, next, s);
            if (seen == s)
            {
                break;
            }

            s = seen;
        }

        bool firstPoll = (s & StateStarted) == 0;
        // One thread-static read for the whole poll; see ThreadData.
        ThreadData thread = ThreadData.Current;
        TaskCore? previousTask = thread.Task;
        // Empty unless this poll is nested inside another task's poll on this thread (a LocalSet);
        // only then is there anything to set aside (copying the struct costs a write barrier per field).
        bool nestedYields = !thread.Yielded.IsEmpty;
        ContinuationQueue outerYielded = default;
        Queue<(Delegate, object?)>? outerYieldedRest = null;
        if (nestedYields)
        {
            outerYielded = thread.Yielded;
            outerYieldedRest = thread.YieldedRest;
            thread.Yielded = default;
            thread.YieldedRest = null;
        }
        int outerBudget = thread.CoopRemaining;
        SynchronizationContext? previousContext = SynchronizationContext.Current;
        thread.Task = this;
        SetSynchronizationContext(this);
        thread.CoopRemaining = Coop.Budget;
        RuntimeCore runtime = Runtime;
        runtime.Hooks.BeforePoll?.Invoke(new TaskMeta(this));
        bool undrained = false;
        try
        {
            if (firstPoll)
            {
                if ((s & StateAbortRequested) != 0)
                {
                    CompleteAbortedBeforeStart(thread);
                }
                else
                {
                    StartRootGuarded(thread);
                }
            }

            while (TryDequeuePending(out Delegate callback, out object? state))
            {
                RunUserCode(callback, state);
                // Each continuation costs a unit too, so a task that keeps waking itself through
                // foreign awaits (Task.Yield in a loop) still gives way after a budget's worth.
                if (thread.CoopRemaining > 0)
                {
                    thread.CoopRemaining--;
                }

                if (thread.CoopRemaining <= 0 && HasPending())
                {
                    undrained = true;
                    runtime.Metrics.RecordForcedYield();
                    break;
                }
            }
        }
        finally
        {
            thread.Task = previousTask;
            thread.CoopRemaining = outerBudget;
            SetSynchronizationContext(previousContext);
        }

        CheckRootAfterPoll(thread);
        if (_pollCount != uint.MaxValue)
        {
            _pollCount++;
        }

        _lastPollEnd = (uint)thread.PollEndMilliseconds();
        runtime.Hooks.AfterPoll?.Invoke(new TaskMeta(this));

        // Yielded continuations join the ordinary queue now that this poll is over.
        bool yielded = false;
        if (!thread.Yielded.IsEmpty)
        {
            EnterLock();
            while (thread.Yielded.TryDequeue(out Delegate callback, out object? state, thread.YieldedRest))
            {
                EnqueuePendingLocked(callback, state);
            }

            ExitLock();
            yielded = true;
        }

        if (nestedYields)
        {
            thread.Yielded = outerYielded;
            thread.YieldedRest = outerYieldedRest;
        }

        s = Volatile.Read(ref _state);
        while (true)
        {
            if ((s & StateComplete) != 0)
            {
                if ((s & StateRunning) != 0)
                {
                    // Completed from another thread (a root finishing off the runtime). The And is
                    // a full fence and a waker's enqueue is fenced before it reads the state, so a
                    // plain peek after it sees every continuation whose waker did not see Complete
                    // (those drain themselves). When the task completed inside this poll, the
                    // completing CAS ended Running and was that fence (TrySetCompleteState).
                    Interlocked.And(ref _state, ~(StateRunning | StateNotified));
                }

                if (!_pending.IsEmpty)
                {
                    DrainAfterCompletion();
                }

                return PollResult.Complete;
            }

            if ((s & StateNotified) != 0)
            {
                // Consume the notification before looking at the queue: a waker enqueues first and
                // sets Notified second, so either the look below sees its continuation or its
                // Notified lands after this clear and makes the final CAS fail.
                int cleared = Interlocked.CompareExchange(ref _state, s & ~StateNotified, s);
                s = cleared == s ? s & ~StateNotified : cleared;
                continue;
            }

            bool reschedule = undrained || yielded || HasPending();
            int next = reschedule ? (s & ~StateRunning) | StateScheduled : s & ~StateRunning;
            // Pairs with Wake's CAS: a wake that raced in either set Notified (this CAS fails and
            // the loop re-checks) or sees Idle/Scheduled and acts itself.
            int seen = Interlocked.CompareExchange(ref _state, next, s);
            if (seen == s)
            {
                if (reschedule)
                {
                    return undrained || yielded ? PollResult.Yield : PollResult.Notified;
                }

                return PollResult.Idle;
            }

            s = seen;
        }
    }

    private void RunUserCode(Delegate callback, object? state)
    {
        try
        {
            ContinuationQueue.Invoke(callback, state);
        }
#pragma warning disable CA1031 // A continuation that throws must not take down the worker; it is reported.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Runtime.ReportUnhandled(this, error);
        }
    }

    /// <summary><see cref="StartRoot"/> with <see cref="RunUserCode"/>'s guard, called directly rather than through a delegate.</summary>
    private void StartRootGuarded(ThreadData thread)
    {
        try
        {
            StartRoot(thread);
        }
#pragma warning disable CA1031 // As in RunUserCode: whatever escapes is reported, never thrown into the worker.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Runtime.ReportUnhandled(this, error);
        }
    }

    private bool TryDequeuePending(out Delegate callback, out object? state)
    {
        // Racy peek to skip the lock when nothing is queued (every first poll): an enqueue that we
        // miss here sets Notified on the running task, and the poll's epilogue reschedules it.
        if (_pending.IsEmpty)
        {
            callback = null!;
            state = null;
            return false;
        }

        EnterLock();
        bool got = _pending.TryDequeue(out callback, out state, ExtrasIfCreated?.PendingRest);
        ExitLock();
        return got;
    }

    private bool HasPending()
    {
        EnterLock();
        bool has = !_pending.IsEmpty;
        ExitLock();
        return has;
    }

    /// <summary>
    /// Sets the Complete bit. Returns false if the task was already complete. Called inside the
    /// task's own poll (<paramref name="inOwnPoll"/>), the same CAS also ends Running and Notified,
    /// so the poll's epilogue has no atomic of its own left to do: nothing reads those bits on a
    /// complete task (wakers and polls test Complete first and drain the queue themselves).
    /// <paramref name="outcome"/> sets <see cref="StateSucceeded"/> or <see cref="StateFaulted"/> in the same CAS.
    /// </summary>
    protected bool TrySetCompleteState(bool inOwnPoll, JoinOutcome outcome)
    {
        int clear = inOwnPoll ? StateRunning | StateNotified : 0;
        int set = StateComplete | outcome switch
        {
            JoinOutcome.Succeeded => StateSucceeded,
            JoinOutcome.Faulted => StateFaulted,
            _ => 0,
        };
        int s = Volatile.Read(ref _state);
        while ((s & StateComplete) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, (s & ~clear) | set, s);
            if (seen == s)
            {
                return true;
            }

            s = seen;
        }

        return false;
    }

    /// <summary>Runs blocking user code with no Spindle task or context current, so sync-over-async inside it cannot deadlock on the task.</summary>
    protected static T RunDetached<T>(Func<T> body)
    {
        ThreadData thread = ThreadData.Current;
        TaskCore? previousTask = thread.Task;
        SynchronizationContext? previousContext = SynchronizationContext.Current;
        thread.Task = null;
        SetSynchronizationContext(null);
        try
        {
            return body();
        }
        finally
        {
            thread.Task = previousTask;
            SetSynchronizationContext(previousContext);
        }
    }

    protected int ReadState() => Volatile.Read(ref _state);

    protected int OrState(int bits) => Interlocked.Or(ref _state, bits);

    // ---- the task's spin lock: guards the continuation queues and the waiting-leaf slots ----

    // Critical sections are a handful of field writes; a gate embedded in the task beats a lock
    // object, which would be a second allocation per task. Leaving it is a full fence: Wake reads the
    // state right after enqueuing, and that read must not move ahead of the queue write.
    private void EnterLock() => _lock.Enter();

    private void ExitLock() => _lock.Exit();
}
