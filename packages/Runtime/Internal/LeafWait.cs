using System;
using System.Diagnostics;
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
/// racing completers wins the CAS; or <see cref="CompleteClaimed"/>, see below) → Idle (<see cref="GetResult"/>). A leaf that keeps its place in
/// some queue removes itself from it when its TryCancelWait wins.
/// </para>
/// <para>
/// The awaiting task learns about the leaf in <see cref="OnCompleted"/> and forgets it in
/// <see cref="GetResult"/>, on its own thread when it resumes, so a completer never touches the
/// task's registrations. Between completion and resumption an abort or timeout may still find the
/// leaf registered; its TryCancelWait then finds nothing to claim.
/// </para>
/// <para>
/// Completion is decided either here (<see cref="TryComplete"/>: the CAS on the state) or by the leaf
/// itself (<see cref="CompleteClaimed"/>: a leaf whose completers, cancellation included, all race on
/// a claim of the leaf's own, such as a waiting bit cleared by CAS or a waiter unlinked under a lock,
/// so the winner needs no second atomic step here).
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

    /// <summary>The version of the current (or last) wait: the token <see cref="Begin"/> returned for it.</summary>
    public readonly short Version => _core.Version;

    /// <summary>The Spindle task whose continuation waits on this leaf (null before OnCompleted or outside tasks).</summary>
    public TaskCore? WaitingTask => Volatile.Read(ref _task);

    /// <summary>
    /// For <see cref="ILeaf.TryCancelWaitOf"/>: whether <paramref name="task"/> is the task waiting here,
    /// and the <paramref name="version"/> of that wait, read between two checks of the task, so it is that
    /// wait's (or a later one's, which the leaf's claim then refuses) — never an earlier one's. A leaf that
    /// claims its wait by version (checked under its lock) so cannot cancel the next wait after the task's
    /// wait completed and the leaf was reused, by another task or by the same one.
    /// </summary>
    public readonly bool TryGetVersionOf(TaskCore task, out short version)
    {
        version = 0;
        if (!ReferenceEquals(Volatile.Read(in _task), task))
        {
            return false;
        }

        // Full fences: the version is read after the first check and before the second.
        Interlocked.MemoryBarrier();
        version = _core.Version;
        Interlocked.MemoryBarrier();
        return ReferenceEquals(Volatile.Read(in _task), task);
    }

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

    /// <summary>
    /// Completes the wait (null: success). False if another completer won. <paramref name="flag"/> is
    /// returned by <see cref="GetResult"/> of a successful wait: one bit a leaf can pass from its
    /// completer to its waiter without a field of its own.
    /// </summary>
    public bool TryComplete(Exception? error, bool flag = false)
    {
        // The single CAS that fire, cancel, abort and timeout race on.
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) != Waiting)
        {
            return false;
        }

        Signal(error, flag);
        return true;
    }

    /// <summary>
    /// Completes a wait that the caller already won through the leaf's own claim (see the remarks): every
    /// other completer of this leaf, cancellation included, lost that claim, so no CAS is needed here.
    /// <paramref name="flag"/> as in <see cref="TryComplete"/>.
    /// </summary>
    public void CompleteClaimed(Exception? error, bool flag = false)
    {
        Debug.Assert(Volatile.Read(ref _state) == Waiting, "a claimed wait must be waiting");
        // Ordered before the completion below, which publishes it to the resumed waiter.
        _state = Done;
        Signal(error, flag);
    }

    private void Signal(Exception? error, bool flag)
    {
        if (error is null)
        {
            _core.SetResult(flag);
        }
        else
        {
            _core.SetException(error);
        }
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
        if (fast && Volatile.Read(ref _state) == Waiting)
        {
            // After the CAS in OnCompleted (a full fence): pairs with Abort, which sets its flag and then reads the slot.
            task!.CancelIfAbortRequested(owner);
        }
    }

    /// <summary>
    /// Ends the wait: throws its error if it failed, and returns the leaf to Idle either way. Runs on the
    /// awaiting task's thread, which also ends the leaf's fast-slot registration here.
    /// </summary>
    /// <returns>The flag its completer passed to <see cref="TryComplete"/> or <see cref="CompleteClaimed"/>.</returns>
    public bool GetResult(ILeaf owner, short token)
    {
        // A premature (or repeated) GetResult must not reset the wait that is still in flight.
        ThrowIfPending(token);
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            // Dispose (not Unregister) waits for a token callback that is running on another thread,
            // so a pooled leaf is never reused while a stale callback could still reach it.
            _registration.Dispose();
            _registration = default;
            _task?.ForgetLeaf(owner);
            _task = null;
            Volatile.Write(ref _state, Idle);
        }
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> if the wait of <paramref name="token"/> is not over
    /// (a premature GetResult) or the token is stale (a repeated one), touching nothing.
    /// </summary>
    public void ThrowIfPending(short token)
    {
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            ThrowHelper.ThrowBadToken();
        }
    }

    /// <summary>
    /// For a leaf that takes its result on the waiter's side, before the wait goes idle: throws if the wait
    /// is not over (as <see cref="ThrowIfPending"/>), or its error if it failed (returning the leaf to idle,
    /// as <see cref="GetResult"/>). Returns for a successful wait, which stays Done until the leaf has
    /// taken its result and calls <see cref="GetResult"/>.
    /// </summary>
    public void ThrowIfFailed(ILeaf owner, short token)
    {
        ValueTaskSourceStatus status = _core.GetStatus(token);
        if (status == ValueTaskSourceStatus.Pending)
        {
            ThrowHelper.ThrowBadToken();
        }

        if (status != ValueTaskSourceStatus.Succeeded)
        {
            GetResult(owner, token);
        }
    }

    public readonly LeafInfo Describe(string kind, string? resource) =>
        new(kind, resource, _callerFile, _callerLine, _callerMember);
}
