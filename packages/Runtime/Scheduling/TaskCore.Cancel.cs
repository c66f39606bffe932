using System;
using System.Collections.Generic;
using System.Threading;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Time;

namespace Spindle.Scheduling;

/// <summary>Abort, the task's cancellation token, timeout scopes and the leaves the task waits on.</summary>
internal abstract partial class TaskCore
{
    /// <summary>
    /// The leaf the task waits on when no timeout scope is open — the common case — kept outside the
    /// lock. Scoped or additional leaves go to the locked fields below. Abort reads this slot too;
    /// timeouts never need it (it lies in no scope).
    /// </summary>
    /// <remarks>
    /// A <see cref="LeafWait"/> leaf is put here and taken out by the task's own thread with plain
    /// stores (<see cref="TryAddFastLeaf"/> in OnCompleted, <see cref="ForgetLeaf"/> when the task
    /// resumes and takes the result); its completer leaves it in place, so between completion and
    /// resumption the slot names a finished leaf, whose TryCancelWaitOf then refuses. A join
    /// (<see cref="TaskCell{T}"/>) registers with <see cref="AddWaitingLeaf"/> and its completer
    /// removes it with a CAS. Either way only the task's thread stores a leaf, and a remover only
    /// ever replaces its own leaf with null, so no remover can erase a newer registration.
    /// </remarks>
    private ILeaf? _fastLeaf;

    /// <summary>The token cancelled when the task is aborted, for awaits that are not Spindle leaves.</summary>
    public CancellationToken CancellationToken
    {
        get
        {
            TaskExtras extras = Extras;
            CancellationTokenSource? cts = Volatile.Read(ref extras.Cts);
            if (cts is null)
            {
                var created = new CancellationTokenSource();
                // Publish once; the loser disposes its copy.
                cts = Interlocked.CompareExchange(ref extras.Cts, created, null) ?? created;
                if (!ReferenceEquals(cts, created))
                {
                    created.Dispose();
                }
                else if (IsAbortRequested)
                {
                    // Abort ran before the source existed: it could not cancel it.
                    TryCancelSource(cts);
                }
            }

            return cts.Token;
        }
    }

    /// <summary>Number of <see cref="TimeoutScope"/>s open in this task; leaves look the scope up only when it is non-zero.</summary>
    internal int ActiveScopes => Volatile.Read(ref _extras) is { } extras ? Volatile.Read(ref extras.ActiveScopes) : 0;

    internal void EnterScope() => Interlocked.Increment(ref Extras.ActiveScopes);

    internal void ExitScope() => Interlocked.Decrement(ref Extras.ActiveScopes);

    /// <summary>What the task waits on now (the first registered leaf), for listings.</summary>
    public LeafInfo? DescribeWait()
    {
        ILeaf? leaf = Volatile.Read(ref _fastLeaf);
        if (leaf is null && Volatile.Read(ref _extras) is { } extras)
        {
            EnterLock();
            leaf = extras.Leaf;
            ExitLock();
        }

        try
        {
            return leaf?.Describe();
        }
#pragma warning disable CA1031 // Describing is best effort: a leaf recycled meanwhile must not fail a listing.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    /// <summary>
    /// Throws if an await of a Spindle leaf must not start: the task was aborted, or a timeout scope
    /// around this code has expired. Leaves call this before they start waiting.
    /// </summary>
    public void ThrowIfCancelled()
    {
        if (IsAbortRequested)
        {
            throw AbortedException();
        }

        if (ActiveScopes > 0)
        {
            ThrowIfExpired(TimeoutScope.Current);
        }
    }

    /// <summary>The innermost timeout scope of the running code (null when the task has none): for a wait that goes on outside this flow.</summary>
    internal TimeoutScope? CurrentScope => ActiveScopes > 0 ? TimeoutScope.Current : null;

    /// <summary>
    /// <see cref="ThrowIfCancelled()"/> for code that runs outside the flow that started its wait (a callback
    /// in the task's poll, where the async-local scope is not set): <paramref name="scope"/> is the scope
    /// that flow had, taken with <see cref="CurrentScope"/>.
    /// </summary>
    public void ThrowIfCancelled(TimeoutScope? scope)
    {
        if (IsAbortRequested)
        {
            throw AbortedException();
        }

        ThrowIfExpired(scope);
    }

    private static void ThrowIfExpired(TimeoutScope? scope)
    {
        if (scope is not null && scope.IsExpiredInChain(out TimeoutScope? expired))
        {
            throw expired!.CreateException();
        }
    }

    /// <summary>Remembers that the task now waits on <paramref name="leaf"/>, so abort and timeouts can end the wait.</summary>
    public void AddWaitingLeaf(ILeaf leaf)
    {
        TimeoutScope? scope = ActiveScopes > 0 ? TimeoutScope.Current : null;
        // Full fence either way before the abort check below (pairs with Abort's state change, then its read of the slot).
        if (scope is null && Interlocked.CompareExchange(ref _fastLeaf, leaf, null) is null)
        {
            CancelIfAlreadyRequested(leaf, scope: null);
            return;
        }

        TaskExtras extras = Extras;
        EnterLock();
        if (extras.Leaf is null)
        {
            extras.Leaf = leaf;
            extras.LeafScope = scope;
        }
        else
        {
            (extras.MoreLeaves ??= new List<(ILeaf, TimeoutScope?)>()).Add((leaf, scope));
        }

        ExitLock();
        CancelIfAlreadyRequested(leaf, scope);
    }

    /// <summary>
    /// Puts <paramref name="leaf"/> in the fast slot with a plain store if the slot is free and no
    /// timeout scope is open; false means the caller registers it with <see cref="AddWaitingLeaf"/>.
    /// Only the task's own thread, during its poll, may call this; the caller must then issue a full
    /// fence (its continuation CAS) and call <see cref="CancelIfAbortRequested"/>, which pairs with
    /// Abort's state change and later read of the slot.
    /// </summary>
    public bool TryAddFastLeaf(ILeaf leaf)
    {
        if (_fastLeaf is not null || ActiveScopes > 0)
        {
            return false;
        }

        _fastLeaf = leaf;
        return true;
    }

    /// <summary>
    /// Ends the registration of <paramref name="leaf"/>, whose wait has ended, wherever it is (fast slot
    /// or the locked ones); only on the task's own thread, which is the only writer of a leaf into the fast slot.
    /// </summary>
    /// <remarks>
    /// A registration made inside a timeout scope may have been found by an expired scope that has not
    /// yet made its cancel call (it looks under the lock and calls outside it). Left alone, the task
    /// could start its next wait on the same leaf (or on the same pooled waiter) outside that scope and
    /// that late call would end it with the scope's timeout. So the task does not go on until every
    /// scope cancellation in flight has made its calls, which then find this wait finished.
    /// </remarks>
    public void ForgetLeaf(ILeaf leaf)
    {
        if (ReferenceEquals(_fastLeaf, leaf))
        {
            Volatile.Write(ref _fastLeaf, null);
            return;
        }

        if (RemoveLockedLeaf(leaf) is { } extras)
        {
            HoldUntilScopeCancelsEnd(extras);
        }
    }

    /// <summary>
    /// For a join ended by a cancellation (its registration removed by the canceller): the task may join the
    /// same handle again, so it waits, as in <see cref="ForgetLeaf"/>, for scope cancellations in flight.
    /// </summary>
    internal void HoldUntilScopeCancelsEnd()
    {
        if (Volatile.Read(ref _extras) is { } extras && Volatile.Read(ref extras.ScopeCancelsInFlight) > 0)
        {
            HoldUntilScopeCancelsEnd(extras);
        }
    }

    private static void HoldUntilScopeCancelsEnd(TaskExtras extras)
    {
        // Rare: a scope expired while this wait finished. Its calls are a few list edits and wake-ups.
        Interlocked.Increment(ref extras.ResumesHeld);
        SpinWait spin = default;
        while (Volatile.Read(ref extras.ScopeCancelsInFlight) > 0)
        {
            spin.SpinOnce();
        }

        Interlocked.Decrement(ref extras.ResumesHeld);
    }

    /// <summary>Ends <paramref name="leaf"/>'s wait if abort was requested before its registration was visible.</summary>
    public void CancelIfAbortRequested(ILeaf leaf) => CancelIfAlreadyRequested(leaf, scope: null);

    /// <summary>Abort or a timeout may have fired between the leaf's check and its registration.</summary>
    private void CancelIfAlreadyRequested(ILeaf leaf, TimeoutScope? scope)
    {
        if (IsAbortRequested)
        {
            leaf.TryCancelWaitOf(this, AbortedException());
        }
        else if (scope is not null && scope.IsExpiredInChain(out TimeoutScope? expired))
        {
            leaf.TryCancelWaitOf(this, expired!.CreateException());
        }
    }

    public void RemoveWaitingLeaf(ILeaf leaf)
    {
        // A leaf registered in the fast slot leaves it with one CAS; any other goes through the lock.
        if (ReferenceEquals(Volatile.Read(ref _fastLeaf), leaf) && ReferenceEquals(Interlocked.CompareExchange(ref _fastLeaf, null, leaf), leaf))
        {
            return;
        }

        _ = RemoveLockedLeaf(leaf);
    }

    /// <summary>
    /// Removes <paramref name="leaf"/>'s locked registration. Returns the extras if that registration lay in
    /// a timeout scope and some scope cancellation was in flight when it was removed (see <see cref="ForgetLeaf"/>).
    /// </summary>
    private TaskExtras? RemoveLockedLeaf(ILeaf leaf)
    {
        // A leaf outside the fast slot was registered through the extras, which then exist.
        TaskExtras? extras = Volatile.Read(ref _extras);
        if (extras is null)
        {
            return null;
        }

        TimeoutScope? removedScope = null;
        EnterLock();
        if (ReferenceEquals(extras.Leaf, leaf))
        {
            removedScope = extras.LeafScope;
            extras.Leaf = null;
            extras.LeafScope = null;
            if (extras.MoreLeaves is { Count: > 0 } more)
            {
                (extras.Leaf, extras.LeafScope) = more[^1];
                more.RemoveAt(more.Count - 1);
            }
        }
        else if (extras.MoreLeaves is { } more)
        {
            // A plain loop: a lambda capturing `leaf` would allocate its closure on every call.
            for (int i = 0; i < more.Count; i++)
            {
                if (ReferenceEquals(more[i].Leaf, leaf))
                {
                    removedScope = more[i].Scope;
                    more.RemoveAt(i);
                    break;
                }
            }
        }

        // Read under the lock: a scope that found this registration counted itself before the removal.
        bool inFlight = removedScope is not null && Volatile.Read(ref extras.ScopeCancelsInFlight) > 0;
        ExitLock();
        return inFlight ? extras : null;
    }

    /// <summary>
    /// Requests abort: the task's waiting leaves end with <see cref="OperationCanceledException"/> now,
    /// its token is cancelled for foreign awaits, and every later Spindle await throws.
    /// </summary>
    public void Abort()
    {
        int s = ReadState();
        if ((s & (StateComplete | StateAbortRequested)) != 0)
        {
            return;
        }

        OrState(StateAbortRequested);
        CancelLeaves(null, AbortedException());
        CancellationTokenSource? cts = Volatile.Read(ref _extras) is { } extras ? Volatile.Read(ref extras.Cts) : null;
        if (cts is not null)
        {
            TryCancelSource(cts);
        }

        if (!IsStarted)
        {
            // Make sure a never-polled task gets its one poll, which completes it as aborted.
            Wake(ScheduleHint.Normal);
        }
    }

    /// <summary>Ends waits registered inside <paramref name="scope"/> (or all waits when null).</summary>
    internal void CancelLeaves(TimeoutScope? scope, Exception error) => CancelSnapshot(SnapshotLeaves(scope), error);

    /// <summary>
    /// Finds the waits <see cref="CancelLeaves"/> ends, under the lock. A scope's snapshot that found any
    /// counts itself in flight until <see cref="CancelSnapshot"/> has made its calls (see <see cref="ForgetLeaf"/>).
    /// </summary>
    internal LeafSnapshot SnapshotLeaves(TimeoutScope? scope)
    {
        List<ILeaf>? victims = null;
        ILeaf? single = null;
        // Abort ends the scope-less wait too (after its state change: pairs with AddWaitingLeaf's CAS-then-check).
        ILeaf? fast = scope is null ? Volatile.Read(ref _fastLeaf) : null;
        // The extras exist before any leaf is registered in them (AddWaitingLeaf creates them first).
        TaskExtras? extras = Volatile.Read(ref _extras);
        TaskExtras? counted = null;
        if (extras is not null)
        {
            EnterLock();
            if (extras.Leaf is not null && (scope is null || (extras.LeafScope is not null && extras.LeafScope.IsWithin(scope))))
            {
                single = extras.Leaf;
            }

            if (extras.MoreLeaves is not null)
            {
                foreach (var (leaf, leafScope) in extras.MoreLeaves)
                {
                    if (scope is null || (leafScope is not null && leafScope.IsWithin(scope)))
                    {
                        (victims ??= new List<ILeaf>()).Add(leaf);
                    }
                }
            }

            // Abort needs no count: it is final, so a late abort call is right for any later wait too.
            if (scope is not null && (single is not null || victims is not null))
            {
                Interlocked.Increment(ref extras.ScopeCancelsInFlight);
                counted = extras;
            }

            ExitLock();
        }

        return new LeafSnapshot(fast, single, victims, counted);
    }

    /// <summary>Ends the waits of <paramref name="snapshot"/> with <paramref name="error"/>, outside the lock.</summary>
    internal void CancelSnapshot(in LeafSnapshot snapshot, Exception error)
    {
        try
        {
            // Outside the lock: cancelling a join completes it, and its completer re-enters RemoveWaitingLeaf.
            snapshot.Fast?.TryCancelWaitOf(this, error);
            snapshot.Single?.TryCancelWaitOf(this, error);
            if (snapshot.More is not null)
            {
                foreach (ILeaf leaf in snapshot.More)
                {
                    leaf.TryCancelWaitOf(this, error);
                }
            }
        }
        finally
        {
            if (snapshot.Counted is not null)
            {
                Interlocked.Decrement(ref snapshot.Counted.ScopeCancelsInFlight);
            }
        }
    }

    /// <summary>What <see cref="SnapshotLeaves"/> found; <see cref="Counted"/> is set when it counts as a scope cancellation in flight.</summary>
    internal readonly record struct LeafSnapshot(ILeaf? Fast, ILeaf? Single, List<ILeaf>? More, TaskExtras? Counted);

    internal OperationCanceledException AbortedException() =>
        new($"Task #{Id}{(Name is null ? "" : $" \"{Name}\"")} was aborted.", (Volatile.Read(ref _extras) is { } extras ? Volatile.Read(ref extras.Cts) : null)?.Token ?? new CancellationToken(canceled: true));

    private void TryCancelSource(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
#pragma warning disable CA1031 // User callbacks registered on the token must not break abort; report them.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Runtime.ReportUnhandled(this, error);
        }
    }
}
