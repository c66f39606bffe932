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
/// sentinel (the task completed; the continuation is dispatched by whoever swaps it out). A joiner
/// whose own task is aborted swaps its continuation back to null and records the abort error for its
/// next <see cref="GetResult(short)"/>, so the joined task is unaffected.
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

    private readonly RootKind _kind;
    private object? _func;
    private Task? _rootTask;
    // The root is consumed exactly once, in CompleteFromRoot (guarded by _rootConsumed).
#pragma warning disable CA2012
    private ValueTask<T> _rootValueTaskOfT;
    private ValueTask _rootValueTask;
#pragma warning restore CA2012
    private Action? _onRootCompleted;
    private int _rootConsumed;

    private T? _result;
    private ExceptionDispatchInfo? _error;
    private JoinOutcome _outcome;

    private Action<object?>? _joinContinuation;
    private object? _joinState;
    private object? _joinTarget;
    private Exception? _joinCancelError;
    private string? _joinerFile;
    private int _joinerLine;

    internal IJoinSetMember? JoinSet;

    /// <summary>Called once on completion (BlockOn's wake-up); set before the task is scheduled.</summary>
    internal Action? CompletionNotify;

    /// <summary>Whether someone (BlockOn) consumes the outcome even without a join waiter.</summary>
    internal bool Observed;

    public TaskCell(Scheduler scheduler, RootKind kind, object func, string? name, string? file, int line, string? member)
        : base(scheduler, name, file, line, member)
    {
        _kind = kind;
        _func = func;
    }

    public override bool IsBlocking => _kind is RootKind.BlockingFunc or RootKind.BlockingAction && !IsCompleted;

    public JoinOutcome Outcome => _outcome;

    public Exception? Error => _error?.SourceException;

    protected override void StartRoot()
    {
        object func = _func!;
        // The delegate and what it captured are not needed once the root exists.
        _func = null;
        try
        {
            switch (_kind)
            {
                case RootKind.TaskOfT:
                    _rootTask = ((Func<Task<T>>)func)() ?? throw NullRoot();
                    break;
                case RootKind.Task:
                    _rootTask = ((Func<Task>)func)() ?? throw NullRoot();
                    break;
#pragma warning disable CA2012 // Stored to be consumed once in CompleteFromRoot.
                case RootKind.ValueTaskOfT:
                    _rootValueTaskOfT = ((Func<ValueTask<T>>)func)();
                    break;
                case RootKind.ValueTask:
                    _rootValueTask = ((Func<ValueTask>)func)();
                    break;
#pragma warning restore CA2012
                case RootKind.BlockingFunc:
                    T value = RunDetached((Func<T>)func);
                    Complete(JoinOutcome.Succeeded, value, null);
                    return;
                case RootKind.BlockingAction:
                    RunDetached(ActionAsFunc((Action)func));
                    Complete(JoinOutcome.Succeeded, default, null);
                    return;
            }
        }
        catch (OperationCanceledException) when (IsAbortRequested)
        {
            Complete(JoinOutcome.Aborted, default, null);
            return;
        }
#pragma warning disable CA1031 // A delegate that throws before returning its task faults the task, as an async method would.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Complete(JoinOutcome.Faulted, default, ExceptionDispatchInfo.Capture(error));
            return;
        }

        if (RootIsCompleted())
        {
            // No completion callback exists yet, so nothing can race this read of the root.
            _rootConsumed = 1;
            CompleteFromRootCore();
            return;
        }

        // Registered while this task's context is current, so the continuation captures it: when the
        // root completes inside one of our polls the BCL runs it inline (same context); when the
        // root completes elsewhere (after ConfigureAwait(false)) it is posted back to this task.
        // A ConfigureAwait(false) registration would instead always hop to the thread pool, because
        // the BCL refuses to inline continuations under a non-default SynchronizationContext.
        _onRootCompleted = CompleteFromRoot;
        switch (_kind)
        {
            case RootKind.TaskOfT:
            case RootKind.Task:
                _rootTask!.GetAwaiter().UnsafeOnCompleted(_onRootCompleted);
                break;
            case RootKind.ValueTaskOfT:
                _rootValueTaskOfT.GetAwaiter().UnsafeOnCompleted(_onRootCompleted);
                break;
            default:
                _rootValueTask.GetAwaiter().UnsafeOnCompleted(_onRootCompleted);
                break;
        }
    }

    /// <inheritdoc/>
    internal override object? GetRootForDump(out short token)
    {
        token = 0;
        switch (_kind)
        {
            case RootKind.TaskOfT:
            case RootKind.Task:
                return Volatile.Read(ref _rootTask);
            case RootKind.ValueTaskOfT:
                // A copy: the struct may be cleared concurrently, and a torn copy is caught by the walker's checks.
                ValueTask<T> rootOfT = _rootValueTaskOfT;
                return Diagnostics.ValueTaskAccess<T>.GetObject(rootOfT, out token);
            case RootKind.ValueTask:
                ValueTask root = _rootValueTask;
                return Diagnostics.ValueTaskAccess.GetObject(root, out token);
            default:
                return null;
        }
    }

    /// <inheritdoc/>
    protected override void CheckRootAfterPoll()
    {
        // Cheap check that also covers roots whose completion continuation was queued, not inlined.
        if (_onRootCompleted is not null && Volatile.Read(ref _rootConsumed) == 0 && RootIsCompleted())
        {
            CompleteFromRoot();
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

    private bool RootIsCompleted() => _kind switch
    {
        RootKind.TaskOfT or RootKind.Task => _rootTask is { IsCompleted: true },
        RootKind.ValueTaskOfT => _rootValueTaskOfT.IsCompleted,
        _ => _rootValueTask.IsCompleted,
    };

    private void CompleteFromRoot()
    {
        // A ValueTask's result may be read once: the poll check and the callback may both get here.
        if (Interlocked.Exchange(ref _rootConsumed, 1) != 0)
        {
            return;
        }

        CompleteFromRootCore();
    }

    private void CompleteFromRootCore()
    {
        T? value = default;
        try
        {
            switch (_kind)
            {
                case RootKind.TaskOfT:
                    value = ((Task<T>)_rootTask!).GetAwaiter().GetResult();
                    break;
                case RootKind.Task:
                    _rootTask!.GetAwaiter().GetResult();
                    break;
                case RootKind.ValueTaskOfT:
                    value = _rootValueTaskOfT.GetAwaiter().GetResult();
                    break;
                default:
                    _rootValueTask.GetAwaiter().GetResult();
                    break;
            }
        }
        catch (OperationCanceledException) when (IsAbortRequested)
        {
            Complete(JoinOutcome.Aborted, default, null);
            return;
        }
#pragma warning disable CA1031 // The task's exception is its result: it is delivered through the handle.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Complete(JoinOutcome.Faulted, default, ExceptionDispatchInfo.Capture(error));
            return;
        }
        finally
        {
            _rootTask = null;
            _rootValueTaskOfT = default;
            _rootValueTask = default;
        }

        Complete(JoinOutcome.Succeeded, value, null);
    }

    protected override void CompleteAbortedBeforeStart()
    {
        _func = null;
        Complete(JoinOutcome.Aborted, default, null);
    }

    private void Complete(JoinOutcome outcome, T? value, ExceptionDispatchInfo? error)
    {
        _result = value;
        _error = error;
        _outcome = outcome;
        if (!TrySetCompleteState())
        {
            return;
        }

        RuntimeCore runtime = Runtime;
        runtime.OnTaskTerminated(this);

        IJoinSetMember? set = JoinSet;
        bool observed = set is not null || Observed;
        // Publishes the outcome written above to whoever swapped the continuation in (pairs with OnCompleted).
        Action<object?>? continuation = Interlocked.Exchange(ref _joinContinuation, s_joinCompleted);
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

        set?.OnMemberCompleted(this);
        CompletionNotify?.Invoke();

        if (outcome == JoinOutcome.Faulted && !observed)
        {
            runtime.ReportUnobserved(this, error!.SourceException);
        }
    }

    // ---- joining (IValueTaskSource) ----

    /// <summary>Starts a join; throws at once if the joining task was aborted or timed out.</summary>
    public short PrepareJoin(string? file, int line)
    {
        TaskCore.Current?.ThrowIfCancelled();
        _joinerFile = file;
        _joinerLine = line;
        return 0;
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        if (Volatile.Read(ref _joinCancelError) is not null)
        {
            return ValueTaskSourceStatus.Canceled;
        }

        if (!IsCompleted)
        {
            return ValueTaskSourceStatus.Pending;
        }

        return _outcome switch
        {
            JoinOutcome.Succeeded => ValueTaskSourceStatus.Succeeded,
            JoinOutcome.Aborted => ValueTaskSourceStatus.Faulted,
            _ => ValueTaskSourceStatus.Faulted,
        };
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        object? target = null;
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            target = (object?)TaskCore.Current ?? CurrentForeignContext();
        }

        _joinState = state;
        _joinTarget = target;
        // Pairs with the exchange in Complete and TryCancelWait.
        Action<object?>? previous = Interlocked.CompareExchange(ref _joinContinuation, continuation, null);
        if (previous is null)
        {
            (target as TaskCore)?.AddWaitingLeaf(this);
            return;
        }

        if (!ReferenceEquals(previous, s_joinCompleted))
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
        Exception? cancelled = Interlocked.Exchange(ref _joinCancelError, null);
        if (cancelled is not null)
        {
            ExceptionDispatchInfo.Throw(cancelled);
        }

        if (!IsCompleted)
        {
            ThrowHelper.ThrowBadToken();
        }

        switch (_outcome)
        {
            case JoinOutcome.Succeeded:
                return _result!;
            case JoinOutcome.Aborted:
                throw new TaskAbortedException(Id, Name);
            default:
                _error!.Throw();
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
        Volatile.Write(ref _joinCancelError, error);
        (target as TaskCore)?.RemoveWaitingLeaf(this);
        LeafCore<T>.Dispatch(continuation, state, target, null);
        return true;
    }

    LeafInfo ILeaf.Describe() =>
        new("join", $"task #{Id}{(Name is null ? "" : $" \"{Name}\"")}", _joinerFile, _joinerLine);

    /// <summary>Result for <see cref="JoinSet{T}"/>: the outcome without throwing.</summary>
    internal JoinResult<T> ToJoinResult() =>
        new(Id, Name, _outcome, _result, _outcome == JoinOutcome.Faulted ? _error : null);
}
