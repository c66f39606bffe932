using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Scheduling;

namespace Spindle.Internal;

/// <summary>
/// The completion core that every Spindle leaf embeds: a <see cref="ManualResetValueTaskSourceCore{T}"/>
/// that sends its continuation straight to the awaiting Spindle task instead of through
/// <see cref="SynchronizationContext.Post"/>.
/// </summary>
/// <remarks>
/// <para>
/// Continuation handshake (same protocol as the BCL's core): <c>_continuation</c> goes
/// null → user continuation (OnCompleted first) → <see cref="s_completedSentinel"/> (completion),
/// or null → sentinel (completion first, OnCompleted then dispatches at once). The exchange on
/// <c>_continuation</c> is the one point where the two sides meet, so each side sees the other's writes.
/// </para>
/// <para>
/// Continuations are never invoked inline by <see cref="SetResult"/>/<see cref="SetException"/>:
/// completion may happen under a lock (timer wheel, waiter lists). They are queued to the
/// awaiting task, the captured context, or the thread pool.
/// </para>
/// <para>This is a mutable struct: fields holding it are never <c>readonly</c>.</para>
/// </remarks>
internal struct LeafCore<TResult>
{
    private static readonly Action<object?> s_completedSentinel = static _ => Debug.Fail("completion sentinel invoked");

    private Action<object?>? _continuation;
    private object? _continuationState;
    /// <summary>Where the continuation runs: a <see cref="TaskCore"/>, a SynchronizationContext, a TaskScheduler, or null (thread pool).</summary>
    private object? _target;
    private ExecutionContext? _executionContext;
    private TResult? _result;
    private ExceptionDispatchInfo? _error;
    private short _version;

    public readonly short Version => _version;

    /// <summary>
    /// Completion is the sentinel in <c>_continuation</c>, published by the completer's exchange — not a
    /// separate flag set before it. With a flag, a consumer could see "completed", take the result and
    /// start the next wait while the completer had not yet done its exchange; the late exchange would
    /// then grab (or pre-empt) the next wait's continuation and resume it early.
    /// </summary>
    public readonly bool IsCompleted => ReferenceEquals(Volatile.Read(in _continuation), s_completedSentinel);

    /// <summary>The Spindle task that awaits this leaf, once a continuation is registered from one.</summary>
    public readonly TaskCore? WaitingTask => _target as TaskCore;

    public void Reset()
    {
        // Bumping the version invalidates every ValueTask handed out for the previous operation.
        _version++;
        _result = default;
        _error = null;
        _continuation = null;
        _continuationState = null;
        _target = null;
        _executionContext = null;
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        // Pairs with the exchange in SignalCompletion, which publishes _result/_error first.
        return !IsCompleted ? ValueTaskSourceStatus.Pending
            : _error is null ? ValueTaskSourceStatus.Succeeded
            : _error.SourceException is OperationCanceledException ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    public readonly TResult GetResult(short token)
    {
        ValidateToken(token);
        if (!IsCompleted)
        {
            ThrowHelper.ThrowBadToken();
        }

        _error?.Throw();
        return _result!;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompleted(continuation, state, token, flags, task: null);

    /// <summary>
    /// As <see cref="OnCompleted(Action{object?}, object?, short, ValueTaskSourceOnCompletedFlags)"/>,
    /// with the current task already looked up by the caller (non-null only when the flags ask for
    /// the scheduling context), so the thread's data is read once per await.
    /// </summary>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags, TaskCore? task)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ValidateToken(token);

        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            _executionContext = ExecutionContext.Capture();
        }

        _target = task ?? CaptureTarget(flags);
        _continuationState = state;

        // Pairs with the exchange in SignalCompletion: whoever comes second dispatches.
        Action<object?>? previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (previous is not null)
        {
            if (!ReferenceEquals(previous, s_completedSentinel))
            {
                ThrowHelper.ThrowMultipleAwaiters();
            }

            _continuationState = null;
            Dispatch(continuation, state, _target, _executionContext);
        }
    }

    public void SetResult(TResult result)
    {
        _result = result;
        SignalCompletion();
    }

    public void SetException(Exception error)
    {
        _error = ExceptionDispatchInfo.Capture(error);
        SignalCompletion();
    }

    private void SignalCompletion()
    {
        if (IsCompleted)
        {
            throw new InvalidOperationException("A Spindle leaf was completed twice; this is a bug in Spindle.");
        }

        // The exchange is the completion: it publishes _result/_error (written before it) to a consumer
        // that sees the sentinel, and pairs with OnCompleted's exchange. After it, this method touches
        // the struct only if it took a continuation, whose consumer cannot reuse the leaf before it runs.
        Action<object?>? continuation = Interlocked.Exchange(ref _continuation, s_completedSentinel);
        if (continuation is not null)
        {
            object? state = _continuationState;
            _continuationState = null;
            Dispatch(continuation, state, _target, _executionContext);
        }
    }

    private static object? CaptureTarget(ValueTaskSourceOnCompletedFlags flags)
    {
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) == 0)
        {
            return null;
        }

        TaskCore? task = TaskCore.Current;
        if (task is not null)
        {
            return task;
        }

        SynchronizationContext? context = SynchronizationContext.Current;
        if (context is not null && context.GetType() != typeof(SynchronizationContext))
        {
            return context;
        }

        TaskScheduler scheduler = TaskScheduler.Current;
        return scheduler != TaskScheduler.Default ? scheduler : null;
    }

    internal static void Dispatch(Action<object?> continuation, object? state, object? target, ExecutionContext? executionContext)
    {
        if (executionContext is not null)
        {
            // Rare (only for awaiters that ask the source to flow the context).
            (continuation, state) = WrapInContext(continuation, state, executionContext);
        }

        switch (target)
        {
            case TaskCore task:
                task.Enqueue(continuation, state);
                break;
            case SynchronizationContext context:
                context.Post(static s => { var (c, st) = ((Action<object?>, object?))s!; c(st); }, (continuation, state));
                break;
            case TaskScheduler scheduler:
                _ = Task.Factory.StartNew(continuation, state, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                break;
            default:
                ThreadPool.UnsafeQueueUserWorkItem(continuation, state, preferLocal: false);
                break;
        }
    }

    /// <summary>
    /// Kept out of <see cref="Dispatch"/>: a lambda capturing its locals would make the compiler
    /// allocate the closure at the start of Dispatch on every call, even when this path is not taken.
    /// </summary>
    private static (Action<object?> Continuation, object? State) WrapInContext(Action<object?> continuation, object? state, ExecutionContext context) =>
        (static s =>
        {
            var (ctx, c, st) = ((ExecutionContext, Action<object?>, object?))s!;
            ExecutionContext.Run(ctx, static inner => { var (c2, st2) = ((Action<object?>, object?))inner!; c2(st2); }, (c, st));
        }, (context, continuation, state));

    private readonly void ValidateToken(short token)
    {
        if (token != _version)
        {
            ThrowHelper.ThrowBadToken();
        }
    }
}
