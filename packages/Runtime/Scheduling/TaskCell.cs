using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;

namespace Spindle.Scheduling;

/// <summary>
/// A task with its result: the spawned delegate, the root <see cref="Task"/>/<see cref="ValueTask"/>
/// it returned, the outcome, and the single join waiter (this object is the <see cref="IValueTaskSource{T}"/>
/// behind <see cref="JoinHandle{T}"/>, so joining allocates nothing).
/// </summary>
/// <remarks>
/// <para>
/// Join handshake on <see cref="_joinContinuation"/>: null → continuation (a joiner waits) →
/// sentinel (claimed: the one whose compare-exchange swapped the continuation out dispatches it). Completion
/// sets the state's Complete bit with a compare-exchange and then reads the slot; a joiner stores
/// its continuation with a compare-exchange and then reads the state. Both are full fences, so at
/// least one side sees the other: a completion that finds the slot empty leaves it (no atomic step
/// for a task nobody waits on yet, the common case), and a joiner that finds the task complete
/// after storing takes its continuation back and runs it itself; when both see each other, the
/// claim decides. A joiner whose own task is aborted swaps its continuation back to null and
/// records the abort error for its next <see cref="GetResult(short)"/>, so the joined task is
/// unaffected.
/// </para>
/// <para>
/// Root completion is observed in two ways: after the first poll when the root finished
/// synchronously (no allocation), or through one continuation registered on the root with
/// <c>ConfigureAwait(false)</c> (one delegate, allocated only for tasks that suspend), which also
/// catches roots that complete off the runtime.
/// </para>
/// </remarks>
internal sealed class TaskCell<T> : TaskCore, IValueTaskSource<T>, IValueTaskSource, ILeaf, IJoinable
{
    private static readonly Action<object?> s_joinCompleted = static _ => Debug.Fail("join sentinel invoked");

    /// <summary>Set once the completion callback is registered on a root that suspended.</summary>
    private const int RootCallbackRegistered = 1;

    /// <summary>Set by whoever consumes the root's result (exactly once: a ValueTask may be read once).</summary>
    private const int RootConsumed = 2;

    private const int RootFlags = RootCallbackRegistered | RootConsumed;

    /// <summary>Set at spawn for a member of a <see cref="JoinSet{T}"/>: <see cref="_joinTarget"/> holds the set.</summary>
    private const int JoinSetMemberFlag = 1 << 6;

    private const int KindShift = 2;
    private const int KindMask = 0xF;
    private const int TokenShift = 16;

    /// <summary>
    /// The root's flags (bits 0-1: <see cref="RootCallbackRegistered"/>, <see cref="RootConsumed"/>), the
    /// <see cref="RootKind"/> (bits 2-5, fixed at spawn), <see cref="JoinSetMemberFlag"/> (bit 6, fixed
    /// at spawn) and the token of a ValueTask root backed by a
    /// source (bits 16-31, written before the completion callback is registered). One word instead of
    /// three fields: with a result of up to 4 bytes the task's fields then end on a multiple of 8, and
    /// the object is 8 bytes smaller (every spawn allocates it).
    /// </summary>
    private int _rootState;

    /// <summary>
    /// The spawned delegate until the first poll starts the task; then, while the root runs, the
    /// <see cref="Task"/> or the <see cref="IValueTaskSource"/> behind its ValueTask (with
    /// <see cref="RootToken"/>); null once the root is consumed. One field instead of one per shape
    /// keeps the task object small (a spawn allocates only this object).
    /// </summary>
    private object? _root;

    private T? _result;

    private Action<object?>? _joinContinuation;
    private object? _joinState;

    /// <summary>
    /// The scheduling context of a waiting joiner; for a member of a <see cref="JoinSet{T}"/>, the set
    /// for the task's whole life instead. A member is never joined through a handle (the set's spawn
    /// returns only its id and the set joins it through <see cref="IJoinSetMember.OnMemberCompleted"/>),
    /// so the slot is free, and a field of its own would make every task object 8 bytes larger.
    /// </summary>
    private object? _joinTarget;

    public TaskCell(long id, Scheduler scheduler, RootKind kind, object func, string? name, string? file, int line, string? member, IJoinSetMember? joinSet = null)
        : base(id, scheduler, name, file, line, member)
    {
        _rootState = (int)kind << KindShift;
        _root = func;
        if (joinSet is not null)
        {
            _rootState |= JoinSetMemberFlag;
            _joinTarget = joinSet;
        }
    }

    /// <summary>The set this task belongs to, or null.</summary>
    internal IJoinSetMember? JoinSet => (_rootState & JoinSetMemberFlag) != 0 ? (IJoinSetMember)_joinTarget! : null;

    /// <summary>Makes the task call <paramref name="notify"/> once on completion and count as observed (BlockOn's wake-up); before it is scheduled.</summary>
    internal void SetCompletionNotify(Action notify)
    {
        TaskExtras extras = Extras;
        extras.CompletionNotify = notify;
        extras.Observed = true;
    }

    /// <summary>Says that someone (LocalSet's BlockOn) consumes the outcome even without a join waiter.</summary>
    internal void MarkObserved() => Extras.Observed = true;

    private RootKind Kind => (RootKind)((_rootState >> KindShift) & KindMask);

    /// <summary>The token of a ValueTask root backed by a source (racy for a dump: checked by its reader).</summary>
    private short RootToken => (short)(_rootState >> TokenShift);

    public override bool IsBlocking => Kind is RootKind.BlockingFunc or RootKind.BlockingAction && !IsCompleted;

    /// <summary>The result of a task that <see cref="TaskCore.IsCompletedSuccessfully"/> (checked first).</summary>
    public T SucceededResult => _result!;

    public Exception? Error => ExtrasIfCreated?.Error?.SourceException;

    protected override void StartRoot(ThreadData pollThread)
    {
        object func = _root!;
        // The delegate and what it captured are not needed once the root exists.
        _root = null;
        try
        {
            switch (Kind)
            {
                case RootKind.TaskOfT:
                    Task<T> rootTaskOfT = ((Func<Task<T>>)func)() ?? throw NullRoot();
                    if (rootTaskOfT.IsCompletedSuccessfully)
                    {
                        // The common short task: no ValueTask to build, no result to unwrap twice.
                        _rootState |= RootConsumed;
                        Complete(JoinOutcome.Succeeded, rootTaskOfT.Result, null, pollThread);
                        return;
                    }

                    _root = rootTaskOfT;
                    break;
                case RootKind.Task:
                    Task rootTask = ((Func<Task>)func)() ?? throw NullRoot();
                    if (rootTask.IsCompletedSuccessfully)
                    {
                        _rootState |= RootConsumed;
                        Complete(JoinOutcome.Succeeded, default, null, pollThread);
                        return;
                    }

                    _root = rootTask;
                    break;
                case RootKind.ValueTaskOfT:
                    ValueTask<T> rootOfT = ((Func<ValueTask<T>>)func)();
                    if (rootOfT.IsCompleted)
                    {
                        // Nothing else can see this root: consume it here, whatever backs it.
                        _rootState |= RootConsumed;
                        CompleteFromValueTask(rootOfT, default, isTyped: true, pollThread);
                        return;
                    }

                    // The token first, then the root: a dump that reads the root reads its token too.
                    object? sourceOfT = ValueTaskAccess<T>.GetObject(rootOfT, out short tokenOfT);
                    _rootState |= (ushort)tokenOfT << TokenShift;
                    _root = sourceOfT;
                    break;
                case RootKind.ValueTask:
                    ValueTask root = ((Func<ValueTask>)func)();
                    if (root.IsCompleted)
                    {
                        _rootState |= RootConsumed;
                        CompleteFromValueTask(default, root, isTyped: false, pollThread);
                        return;
                    }

                    object? source = ValueTaskAccess.GetObject(root, out short token);
                    _rootState |= (ushort)token << TokenShift;
                    _root = source;
                    break;
                case RootKind.BlockingFunc:
                    T value = RunDetached((Func<T>)func);
                    Complete(JoinOutcome.Succeeded, value, null, pollThread);
                    return;
                case RootKind.BlockingAction:
                    RunDetached(ActionAsFunc((Action)func));
                    Complete(JoinOutcome.Succeeded, default, null, pollThread);
                    return;
            }
        }
        catch (OperationCanceledException) when (IsAbortRequested)
        {
            Complete(JoinOutcome.Aborted, default, null, pollThread);
            return;
        }
#pragma warning disable CA1031 // A delegate that throws before returning its task faults the task, as an async method would.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Complete(JoinOutcome.Faulted, default, ExceptionDispatchInfo.Capture(error), pollThread);
            return;
        }

        if (RootIsCompleted())
        {
            // No completion callback exists yet, so nothing can race this read of the root.
            _rootState |= RootConsumed;
            CompleteFromRootCore(pollThread);
            return;
        }

        // Registered while this task's context is current, so the continuation captures it: when the
        // root completes inside one of our polls the BCL runs it inline (same context); when the
        // root completes elsewhere (after ConfigureAwait(false)) it is posted back to this task.
        // A ConfigureAwait(false) registration would instead always hop to the thread pool, because
        // the BCL refuses to inline continuations under a non-default SynchronizationContext.
        _rootState |= RootCallbackRegistered;
        Action onRootCompleted = CompleteFromRoot;
        // The rebuilt ValueTasks only register the callback here; the result is consumed once, in CompleteFromRoot.
#pragma warning disable CA2012
        switch (Kind)
        {
            case RootKind.TaskOfT:
            case RootKind.Task:
                ((Task)_root!).GetAwaiter().UnsafeOnCompleted(onRootCompleted);
                break;
            case RootKind.ValueTaskOfT:
                RootValueTaskOfT(_root!).GetAwaiter().UnsafeOnCompleted(onRootCompleted);
                break;
            default:
                RootValueTask(_root!).GetAwaiter().UnsafeOnCompleted(onRootCompleted);
                break;
        }
#pragma warning restore CA2012
    }

    /// <summary>The running ValueTask root rebuilt from what <see cref="_root"/> and <see cref="RootToken"/> hold (a Task or a source).</summary>
    private ValueTask<T> RootValueTaskOfT(object root) =>
        root is Task<T> task ? new ValueTask<T>(task) : new ValueTask<T>((IValueTaskSource<T>)root, RootToken);

    private ValueTask RootValueTask(object root) =>
        root is Task task ? new ValueTask(task) : new ValueTask((IValueTaskSource)root, RootToken);

    /// <inheritdoc/>
    internal override object? GetRootForDump(out short token)
    {
        token = 0;
        if (Kind is RootKind.BlockingFunc or RootKind.BlockingAction)
        {
            return null;
        }

        // Racy: the root may be consumed meanwhile (and the token is then stale), which the walker's checks catch.
        object? root = Volatile.Read(ref _root);
        if (root is null or Delegate)
        {
            // Not started yet (the field still holds the spawned delegate), or done.
            return null;
        }

        token = RootToken;
        return root;
    }

    /// <inheritdoc/>
    protected override void CheckRootAfterPoll(ThreadData pollThread)
    {
        // Cheap check that also covers roots whose completion continuation was queued, not inlined.
        if ((Volatile.Read(ref _rootState) & RootFlags) == RootCallbackRegistered && RootIsCompleted())
        {
            CompleteFromRoot(pollThread);
        }
    }

    /// <summary>Separate so StartRoot captures nothing: a closure there would be allocated for every task.</summary>
    private static Func<int> ActionAsFunc(Action action) => () =>
    {
        action();
        return 0;
    };

    private InvalidOperationException NullRoot() =>
        new($"The delegate spawned as task #{Id} returned a null Task. Return a Task (e.g. make the lambda async) instead of null.");

    private bool RootIsCompleted()
    {
        // Read once: the completion callback on another thread may consume and clear the root meanwhile.
        object? root = Volatile.Read(ref _root);
        if (root is null)
        {
            return false;
        }

        // Only the status is read from the rebuilt ValueTasks; the result is consumed once, in CompleteFromRoot.
#pragma warning disable CA2012
        return Kind switch
        {
            RootKind.TaskOfT or RootKind.Task => ((Task)root).IsCompleted,
            RootKind.ValueTaskOfT => RootValueTaskOfT(root).IsCompleted,
            _ => RootValueTask(root).IsCompleted,
        };
#pragma warning restore CA2012
    }

    /// <summary>The root's completion callback: on whatever thread the root completed.</summary>
    private void CompleteFromRoot() => CompleteFromRoot(null);

    /// <summary>Completes from the finished root, once; <paramref name="pollThread"/> when inside the task's own poll.</summary>
    private void CompleteFromRoot(ThreadData? pollThread)
    {
        // A ValueTask's result may be read once: the poll check and the callback may both get here.
        if ((Interlocked.Or(ref _rootState, RootConsumed) & RootConsumed) != 0)
        {
            return;
        }

        CompleteFromRootCore(pollThread);
    }

    private void CompleteFromRootCore(ThreadData? pollThread)
    {
        object root = _root!;
        switch (Kind)
        {
            case RootKind.TaskOfT:
                CompleteFromValueTask(new ValueTask<T>((Task<T>)root), default, isTyped: true, pollThread);
                break;
            case RootKind.Task:
                CompleteFromValueTask(default, new ValueTask((Task)root), isTyped: false, pollThread);
                break;
            case RootKind.ValueTaskOfT:
                CompleteFromValueTask(RootValueTaskOfT(root), default, isTyped: true, pollThread);
                break;
            default:
                CompleteFromValueTask(default, RootValueTask(root), isTyped: false, pollThread);
                break;
        }
    }

    /// <summary>
    /// Takes a completed root's result (once) and completes the task with it: <paramref name="typed"/>
    /// when <paramref name="isTyped"/>, else <paramref name="untyped"/> (one body for both shapes).
    /// </summary>
    private void CompleteFromValueTask(ValueTask<T> typed, ValueTask untyped, bool isTyped, ThreadData? pollThread)
    {
        T? value = default;
        try
        {
            if (isTyped)
            {
                value = typed.GetAwaiter().GetResult();
            }
            else
            {
                untyped.GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException) when (IsAbortRequested)
        {
            Complete(JoinOutcome.Aborted, default, null, pollThread);
            return;
        }
#pragma warning disable CA1031 // The task's exception is its result: it is delivered through the handle.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Complete(JoinOutcome.Faulted, default, ExceptionDispatchInfo.Capture(error), pollThread);
            return;
        }
        finally
        {
            _root = null;
        }

        Complete(JoinOutcome.Succeeded, value, null, pollThread);
    }

    protected override void CompleteAbortedBeforeStart(ThreadData pollThread)
    {
        _root = null;
        Complete(JoinOutcome.Aborted, default, null, pollThread);
    }

    /// <summary>
    /// Publishes the outcome and wakes the joiner. <paramref name="pollThread"/> is the polling
    /// thread's data when called inside the task's own poll (the first poll's start, the check after
    /// a poll), null from anywhere else (the root's completion callback).
    /// </summary>
    private void Complete(JoinOutcome outcome, T? value, ExceptionDispatchInfo? error, ThreadData? pollThread)
    {
        _result = value;
        if (error is not null)
        {
            Extras.Error = error;
        }

        if (!TrySetCompleteState(inOwnPoll: pollThread is not null, outcome))
        {
            return;
        }

        RuntimeCore runtime = Runtime;
        runtime.OnTaskTerminated(this, pollThread);

        IJoinSetMember? set = JoinSet;
        TaskExtras? extras = ExtrasIfCreated;
        bool observed = extras is { Observed: true };
        // The completing compare-exchange above was a full fence: an empty slot now means a joiner
        // storing later sees Complete and runs its continuation itself (see the remarks). A waiting
        // continuation is claimed, since that joiner may be taking it back at the same moment.
        Action<object?>? continuation = Volatile.Read(ref _joinContinuation);
        if (ReferenceEquals(continuation, s_joinCompleted))
        {
            // A joiner that stored after the completion already took its continuation back.
            observed = true;
            continuation = null;
        }
        else if (continuation is not null && !ReferenceEquals(Interlocked.CompareExchange(ref _joinContinuation, s_joinCompleted, continuation), continuation))
        {
            // Lost the claim: the joiner took its continuation back (it leaves the sentinel and
            // observes the outcome) or a cancel of its wait did (it leaves null).
            observed |= ReferenceEquals(Volatile.Read(ref _joinContinuation), s_joinCompleted);
            continuation = null;
        }

        if (continuation is not null)
        {
            observed = true;
            object? state = _joinState;
            object? target = _joinTarget;
            _joinState = null;
            _joinTarget = null;
            (target as TaskCore)?.RemoveWaitingLeaf(this);
            LeafCore<T>.Dispatch(continuation, state, target, null);
        }

        // A set keeps the outcome for its JoinNextAsync; a disposed one drops it, unobserved.
        if (set is not null && set.OnMemberCompleted(this))
        {
            observed = true;
        }

        extras?.CompletionNotify?.Invoke();

        if (outcome == JoinOutcome.Faulted && !observed)
        {
            runtime.ReportUnobserved(this, error!.SourceException);
        }
    }

    // ---- joining (IValueTaskSource) ----

    /// <summary>Records where a join that is about to wait awaits (null from a plain <c>await handle</c>), for <see cref="ILeaf.Describe"/>.</summary>
    public void RecordJoiner(string? file, int line)
    {
        // Only an explicit AsValueTask() knows its caller, so only it creates the extras; a plain
        // await (null) clears what an earlier explicit join left.
        if (file is not null)
        {
            TaskExtras extras = Extras;
            extras.JoinerFile = file;
            extras.JoinerLine = line;
        }
        else if (ExtrasIfCreated is { JoinerFile: not null } extras)
        {
            extras.JoinerFile = null;
            extras.JoinerLine = 0;
        }
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        if (ExtrasIfCreated is { } extras && Volatile.Read(ref extras.JoinCancelError) is not null)
        {
            return ValueTaskSourceStatus.Canceled;
        }

        if (!IsCompleted)
        {
            return ValueTaskSourceStatus.Pending;
        }

        return Outcome switch
        {
            JoinOutcome.Succeeded => ValueTaskSourceStatus.Succeeded,
            JoinOutcome.Aborted => ValueTaskSourceStatus.Faulted,
            _ => ValueTaskSourceStatus.Faulted,
        };
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Debug.Assert((_rootState & JoinSetMemberFlag) == 0, "a JoinSet member's join-target slot holds its set: it is never joined through a handle");
        object? target = null;
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            target = (object?)TaskCore.Current ?? CurrentForeignContext();
        }

        _joinState = state;
        _joinTarget = target;
        // Pairs with the completing compare-exchange and the claims in Complete and TryCancelWait.
        Action<object?>? previous = Interlocked.CompareExchange(ref _joinContinuation, continuation, null);
        if (previous is null)
        {
            if (!IsCompleted)
            {
                // Complete either finds the continuation (and claims it) or had not set Complete
                // before the store above; either way it is dispatched once.
                if (target is TaskCore joiner)
                {
                    TaskCore.AfterJoinStoredForTests?.Invoke(joiner);
                    // Registered after the store, so that an abort that finds the registration also
                    // finds the continuation to cancel. A claim (by Complete or a cancel) between the
                    // store and the registration removed a registration that was not there yet, and
                    // would leave this one behind: a dump would list the join as still waited on.
                    joiner.AddWaitingLeaf(this);
                    if (!ReferenceEquals(Volatile.Read(ref _joinContinuation), continuation))
                    {
                        joiner.RemoveWaitingLeaf(this);
                    }
                }

                return;
            }

            // Complete may have read the slot before the store and left it: take the continuation
            // back and run it here, unless Complete (or a cancel) claimed it first.
            if (!ReferenceEquals(Interlocked.CompareExchange(ref _joinContinuation, s_joinCompleted, continuation), continuation))
            {
                return;
            }
        }
        else if (!ReferenceEquals(previous, s_joinCompleted))
        {
            ThrowHelper.ThrowMultipleAwaiters();
        }

        _joinState = null;
        _joinTarget = null;
        LeafCore<T>.Dispatch(continuation, state, target, null);
    }

    private static object? CurrentForeignContext()
    {
        SynchronizationContext? context = SynchronizationContext.Current;
        if (context is not null && context.GetType() != typeof(SynchronizationContext))
        {
            return context;
        }

        return TaskScheduler.Current != TaskScheduler.Default ? TaskScheduler.Current : null;
    }

    public T GetResult(short token)
    {
        Exception? cancelled = ExtrasIfCreated is { } extras ? Interlocked.Exchange(ref extras.JoinCancelError, null) : null;
        if (cancelled is not null)
        {
            // The joining task may join this handle again: first let other scopes' late cancel calls pass.
            TaskCore.Current?.HoldUntilScopeCancelsEnd();
            ExceptionDispatchInfo.Throw(cancelled);
        }

        if (!IsCompleted)
        {
            ThrowHelper.ThrowBadToken();
        }

        switch (Outcome)
        {
            case JoinOutcome.Succeeded:
                return _result!;
            case JoinOutcome.Aborted:
                throw new TaskAbortedException(Id, Name);
            default:
                Extras.Error!.Throw();
                return default!;
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    bool ILeaf.TryCancelWait(Exception error)
    {
        Action<object?>? continuation = Volatile.Read(ref _joinContinuation);
        if (continuation is null || ReferenceEquals(continuation, s_joinCompleted))
        {
            return false;
        }

        object? state = _joinState;
        object? target = _joinTarget;
        // Only one of Complete and this swap wins the continuation.
        if (Interlocked.CompareExchange(ref _joinContinuation, null, continuation) != continuation)
        {
            return false;
        }

        _joinState = null;
        _joinTarget = null;
        Volatile.Write(ref Extras.JoinCancelError, error);
        (target as TaskCore)?.RemoveWaitingLeaf(this);
        LeafCore<T>.Dispatch(continuation, state, target, null);
        return true;
    }

    LeafInfo ILeaf.Describe()
    {
        TaskExtras? extras = ExtrasIfCreated;
        return new("join", $"task #{Id}{(Name is null ? "" : $" \"{Name}\"")}", extras?.JoinerFile, extras?.JoinerLine ?? 0);
    }

    /// <summary>Result for <see cref="JoinSet{T}"/>: the outcome without throwing.</summary>
    internal JoinResult<T> ToJoinResult()
    {
        JoinOutcome outcome = Outcome;
        return new(Id, Name, outcome, _result, outcome == JoinOutcome.Faulted ? ExtrasIfCreated?.Error : null);
    }
}
