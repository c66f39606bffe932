using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;
using Spindle.Time;

namespace Spindle.Sync;

/// <summary>
/// A pooled waiter for the queue-based primitives (semaphore, mutex, rwlock, notify, bounded
/// senders): one per pending wait, rented when a wait starts and returned when its result is taken,
/// so waiting allocates nothing in steady state.
/// </summary>
/// <remarks>
/// <para>
/// Life: Rent → <see cref="Begin"/> and queue (owner's lock) → unlinked by exactly one of a
/// completer (<see cref="Complete"/>) or a cancellation (<see cref="TryCancelWait(Exception)"/> through
/// <see cref="IWaitOwner.RemoveWaiter"/>) → result taken in GetResult → back to the pool.
/// </para>
/// <para>
/// Reuse safety: the ValueTask token is versioned; GetResult disposes the token registration
/// (waiting for a callback running elsewhere), and abort checks the waiting task
/// (<see cref="ILeaf.TryCancelWaitOf"/>), so no stale canceller can reach the next wait.
/// </para>
/// </remarks>
internal class SyncWaiter : WaitNode, ILeaf, IValueTaskSource<bool>, IValueTaskSource, IValueTaskSource<BarrierWaitResult>
{
    /// <summary>Waiters kept per thread: enough for the few waits a thread has in flight at once.</summary>
    private const int CacheLimit = 16;


    private IWaitOwner? _owner;
    private bool _owned;
    // Mutable struct: never readonly.
    private LeafWait _wait;
    private bool _result;

    /// <summary>What the waiter asks for (permits); meaning set by the owner.</summary>
    public int Amount { get; private set; }

    public static SyncWaiter Rent(IWaitOwner owner, int amount)
    {
        // The free list lives in ThreadData: one thread-static read per rent.
        ThreadData thread = ThreadData.Current;
        SyncWaiter? waiter = thread.FreeWaiters;
        if (waiter is not null)
        {
            thread.FreeWaiters = (SyncWaiter?)waiter.Next;
            thread.FreeWaiterCount--;
            waiter.Next = null;
        }
        else
        {
            waiter = new SyncWaiter();
        }

        waiter.Init(owner, amount);
        return waiter;
    }

    /// <summary>For the typed subclass, which keeps its own pool.</summary>
    protected SyncWaiter()
    {
    }

    /// <summary>
    /// Creates a waiter that belongs to <paramref name="owner"/> for good: the owner reuses it for one
    /// wait at a time (<see cref="IsIdle"/>) instead of renting from the thread's pool, and it never
    /// goes to a pool.
    /// </summary>
    public static SyncWaiter CreateOwned(IWaitOwner owner, int amount)
    {
        var waiter = new SyncWaiter { _owned = true };
        waiter.Init(owner, amount);
        return waiter;
    }

    /// <summary>
    /// Whether the waiter carries no wait: its last result was taken (the last thing GetResult
    /// does to it), so its owner may start another wait on it. Only meaningful for owned waiters.
    /// </summary>
    public bool IsIdle => _wait.IsIdle;

    /// <summary>Binds a rented waiter to its owner and request.</summary>
    protected void Init(IWaitOwner owner, int amount)
    {
        _owner = owner;
        Amount = amount;
    }

    private void Return()
    {
        if (_owned)
        {
            // Stays bound to its owner; it became reusable when its wait went back to Idle.
            return;
        }

        _owner = null;
        DeferredToken = default;
        DeferredScope = null;
        Recycle();
    }

    /// <summary>Puts the waiter back in its pool once its result was taken.</summary>
    protected virtual void Recycle()
    {
        ThreadData thread = ThreadData.Current;
        if (thread.FreeWaiterCount < CacheLimit)
        {
            Next = thread.FreeWaiters;
            thread.FreeWaiters = this;
            thread.FreeWaiterCount++;
        }
    }

    /// <summary>Starts the wait; call under the owner's lock, then queue, then <see cref="RegisterCancellation"/>.</summary>
    public short Begin(string? file, int line, string? member) => _wait.Begin(this, file, line, member, default);

    public void RegisterCancellation(CancellationToken cancellationToken) => _wait.RegisterCancellation(this, cancellationToken);

    /// <summary>Completes the wait; only the one who unlinked the waiter calls this, outside the owner's lock.</summary>
    public void Complete(bool result)
    {
        Debug.Assert(!IsQueued, "a queued waiter was completed");
        _result = result;
        _wait.CompleteClaimed(null);
    }

    /// <summary>Ends the wait with <paramref name="error"/>; only for a waiter that is in no queue.</summary>
    public void Fail(Exception error)
    {
        Debug.Assert(!IsQueued, "a queued waiter was failed directly");
        _wait.TryComplete(error);
    }

    /// <summary>The primitive the waiter belongs to (null once returned to the pool).</summary>
    public IWaitOwner? Owner => _owner;

    /// <summary>The token of a wait that joins its queue later (after a forced yield).</summary>
    public CancellationToken DeferredToken { get; set; }

    /// <summary>The timeout scope of a wait that joins its queue later: the deferred step runs outside the flow that set it.</summary>
    public TimeoutScope? DeferredScope { get; set; }

    /// <summary>Completes every waiter of a chain built from unlinked waiters (linked through Next).</summary>
    public static void CompleteChain(WaitNode? chain, bool result)
    {
        while (chain is not null)
        {
            // Read the link first: a completed waiter can be recycled at once by its task.
            WaitNode? next = chain.Next;
            chain.Next = null;
            ((SyncWaiter)chain).Complete(result);
            chain = next;
        }
    }

    /// <summary>Whether the waiter still carries the wait of <paramref name="version"/>; owners check it under their lock.</summary>
    public bool IsWait(short version) => _wait.Version == version;

    // A token's registration is disposed before the waiter is reused, so its callback can only be for the current wait.
    public override bool TryCancelWait(Exception error) => TryCancelWait(error, _wait.Version);

    private bool TryCancelWait(Exception error, short version)
    {
        IWaitOwner? owner = _owner;
        if (owner is null || !owner.RemoveWaiter(this, version))
        {
            return false;
        }

        return _wait.TryComplete(error);
    }

    // Checking only the task let an abort that lost the race with the wait's completion unlink the waiter
    // after it was recycled and queued for another task's wait; the owner now checks the version too.
    bool ILeaf.TryCancelWaitOf(TaskCore task, Exception error) =>
        _wait.TryGetVersionOf(task, out short version) && TryCancelWait(error, version);

    public override LeafInfo Describe()
    {
        IWaitOwner? owner = _owner;
        if (owner is null)
        {
            return _wait.Describe("sync", null);
        }

        (string kind, string? resource) = owner.DescribeWaiter(this);
        return _wait.Describe(kind, resource);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _wait.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    public bool GetResult(short token)
    {
        // Validates the token (and that the wait is over) first, so a second await of the same
        // ValueTask, or a premature GetResult, cannot return the waiter to the pool.
        _wait.ThrowIfPending(token);

        // Read before the wait goes back to Idle: from then on an owned waiter may be reused at once.
        bool result = _result;
        try
        {
            _wait.GetResult(this, token);
            return result;
        }
        finally
        {
            Return();
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    /// <summary>Barrier waits: the completion result is <see cref="BarrierWaitResult.IsLeader"/>.</summary>
    BarrierWaitResult IValueTaskSource<BarrierWaitResult>.GetResult(short token) => new(GetResult(token));
}
