using System;
using System.Threading;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Scheduling;

namespace Spindle.Internal;

/// <summary>
/// One wait of a reusable leaf: the completion core plus the bookkeeping every Spindle wait needs
/// (the awaiting task, so abort and timeouts can end the wait; the caller's token; the caller's
/// location for listings). Leaves embed it and forward their <see cref="IValueTaskSource"/> calls.
/// </summary>
/// <remarks>
/// <para>
/// State: Idle → Waiting (<see cref="Begin"/>) → Done (<see cref="TryComplete"/>: exactly one of the
/// racing completers wins the CAS) → Idle (<see cref="GetResult"/>). A leaf that keeps its place in
/// some queue removes itself from it when its TryCancelWait wins.
/// </para>
/// <para>
/// The awaiting task learns about the leaf in <see cref="OnCompleted"/> and forgets it on
/// completion; if completion raced ahead of the registration, OnCompleted removes it again before
/// returning (the task cannot resume before that: it resumes in a later poll).
/// </para>
/// <para>Mutable struct: fields holding it are never <c>readonly</c>.</para>
/// </remarks>
internal struct LeafWait
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Done = 2;

    private LeafCore<bool> _core;
    private int _state;
    private TaskCore? _task;
    private CancellationTokenRegistration _registration;
    private string? _callerFile;
    private int _callerLine;
    private string? _callerMember;

    public bool IsIdle => Volatile.Read(ref _state) == Idle;

    public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>The Spindle task whose continuation waits on this leaf (null before OnCompleted or outside tasks).</summary>
    public TaskCore? WaitingTask => Volatile.Read(ref _task);

    /// <summary>Starts a wait; the returned token goes into the <see cref="System.Threading.Tasks.ValueTask"/>.</summary>
    public short Begin(ILeaf owner, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Idle)
        {
            ThrowHelper.ThrowMultipleAwaiters();
        }

        _callerFile = file;
        _callerLine = line;
        _callerMember = member;
        _core.Reset();
        Volatile.Write(ref _state, Waiting);
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) =>
                ((ILeaf)state!).TryCancelWait(new OperationCanceledException(token)), owner);
        }

        return _core.Version;
    }

    /// <summary>
    /// Registers <paramref name="cancellationToken"/> after <see cref="Begin"/> was called with none.
    /// Waiter queues call this while holding the lock their completers need, once the waiter is
    /// linked, so a token that fires at once finds the waiter in its queue and a completer cannot
    /// run before the registration is stored.
    /// </summary>
    public void RegisterCancellation(ILeaf owner, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) =>
                ((ILeaf)state!).TryCancelWait(new OperationCanceledException(token)), owner);
        }
    }

    /// <summary>Completes the wait (null: success). False if another completer won.</summary>
    public bool TryComplete(ILeaf owner, Exception? error)
    {
        // The single CAS that fire, cancel, abort and timeout race on.
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) != Waiting)
        {
            return false;
        }

        // A fast-slot registration stays until the task resumes (GetResult): only its thread clears it.
        Volatile.Read(ref _task)?.RemoveScopedLeaf(owner);
        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }

        return true;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(ILeaf owner, Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        TaskCore? task = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 ? TaskCore.Current : null;
        bool fast = false;
        if (task is not null)
        {
            Volatile.Write(ref _task, task);
            // The common case: a plain store into the task's slot, fenced by the continuation CAS below.
            fast = task.TryAddFastLeaf(owner);
            if (!fast)
            {
                task.AddWaitingLeaf(owner);
            }
        }

        _core.OnCompleted(continuation, state, token, flags, task);
        if (task is null)
        {
            return;
        }

        if (Volatile.Read(ref _state) != Waiting)
        {
            // Completed before (or while) it was registered: its completer may have found nothing to remove.
            if (fast)
            {
                task.ClearFastLeaf(owner);
            }
            else
            {
                task.RemoveWaitingLeaf(owner);
            }
        }
        else if (fast)
        {
            // After the CAS in OnCompleted (a full fence): pairs with Abort, which sets its flag and then reads the slot.
            task.CancelIfAbortRequested(owner);
        }
    }

    /// <summary>
    /// Ends the wait: throws its error if it failed, and returns the leaf to Idle either way. Runs on the
    /// awaiting task's thread, which also ends the leaf's fast-slot registration here.
    /// </summary>
    public void GetResult(ILeaf owner, short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            // Dispose (not Unregister) waits for a token callback that is running on another thread,
            // so a pooled leaf is never reused while a stale callback could still reach it.
            _registration.Dispose();
            _registration = default;
            _task?.ClearFastLeaf(owner);
            _task = null;
            Volatile.Write(ref _state, Idle);
        }
    }

    public readonly LeafInfo Describe(string kind, string? resource) =>
        new(kind, resource, _callerFile, _callerLine, _callerMember);
}
