using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// Wakes tasks that wait for an event, without data (tokio's <c>sync::Notify</c>): one waiter at a
/// time with <see cref="NotifyOne"/>, or everyone waiting now with <see cref="NotifyWaiters"/>. A
/// <see cref="NotifyOne"/> that finds nobody waiting stores a single permit, so a notification sent
/// just before the receiver starts waiting is not lost.
/// </summary>
/// <remarks>
/// <para>
/// <b>Cancellation:</b> a wait cancelled by its token, by <see cref="JoinHandle.Abort"/> or by a
/// timeout leaves the queue and consumes nothing. A notification is never lost to a cancellation:
/// if <see cref="NotifyOne"/> chose the waiter before the cancellation reached it, the await
/// completes normally (the waiter received the notification); otherwise the notification goes to
/// the next waiter or becomes the stored permit.
/// </para>
/// <para>
/// <b>Registering before checking a condition</b> (tokio's <c>Notified::enable</c>):
/// <see cref="NotifiedAsync"/> queues the waiter before it returns, so
/// <c>var notified = notify.NotifiedAsync(); if (!ready) await notified;</c> cannot miss a
/// <see cref="NotifyWaiters"/> sent between the call and the await. The returned
/// <see cref="ValueTask"/> must then be awaited (or its token cancelled) in every case: a waiter that
/// is never awaited keeps its place and may absorb a <see cref="NotifyOne"/>.
/// </para>
/// <para><b>Thread safety:</b> every member is thread-safe; any number of tasks may wait at once.</para>
/// <para>Allocation: none per notification or wait in steady state (waiters are pooled).</para>
/// </remarks>
/// <example>
/// <code>
/// var notify = new Notify();
/// JoinHandle consumer = SpindleTask.Spawn(async () =&gt;
/// {
///     await notify.NotifiedAsync();
///     Console.WriteLine("received");
/// });
/// notify.NotifyOne(); // wakes the consumer, or stores a permit it will take at once
/// await consumer;
/// </code>
/// </example>
public sealed class Notify : IWaitOwner
{
    // Design
    //
    // Invariants (under _gate): waiters are queued in arrival order; _permit is true only while the
    // queue is empty (NotifyOne wakes a waiter instead of storing one, and a waiter never queues while
    // a permit is stored); a waiter is completed only by whoever unlinked it, after the lock is
    // released (WaitNode's rule).
    //
    //   NotifiedAsync:  permit stored ─► take it ─► done (coop unit; budget spent: yield, then done even if aborted)
    //                   no permit     ─► queued ─► NotifyOne/NotifyLast/NotifyWaiters unlink ─► done
    //                                          └► token/abort/timeout unlink ─► throws, nothing taken
    //   NotifyOne:      head waiter ─► unlinked and woken | empty queue ─► _permit = true (coalesces)
    //   NotifyWaiters:  drains the queue; never touches _permit
    //
    // A cancellation that finds its waiter already unlinked does nothing (RemoveWaiter returns
    // false) and the completer's success stands: that is what keeps a notification from vanishing.
    // A spin gate, not a Lock: every critical section is a few field writes and never calls out
    // (cancellation is registered after the gate is released), and a Lock costs a thread-id lookup
    // per enter. Mutable structs: never readonly.
    private SpinGate _gate;
    private WaitQueue _waiters;
    private bool _permit;
    // Serves one wait at a time without the thread's pool (no thread-static read to rent or return
    // it); created on the first wait. A wait that finds it busy rents a pooled waiter.
    private SyncWaiter? _own;

    /// <summary>Creates a notify with no stored permit and nobody waiting.</summary>
    public Notify()
    {
    }

    /// <summary>Racy snapshot: whether a permit is stored (tests and listings).</summary>
    internal bool HasPermit
    {
        get
        {
            _gate.Enter();
            bool permit = _permit;
            _gate.Exit();
            return permit;
        }
    }

    /// <summary>Racy snapshot of the number of queued waiters (tests and listings); takes no lock, so listings never block.</summary>
    internal int WaiterCount => _waiters.Count;

    /// <summary>
    /// Wakes the task that has waited longest, or stores a permit if nobody waits. Permits do not
    /// add up: several calls with nobody waiting leave one permit.
    /// </summary>
    /// <remarks>
    /// <para><b>Thread safety:</b> may be called from any thread, inside or outside a runtime. The
    /// woken task resumes on its own scheduler; nothing runs inline on the caller.</para>
    /// </remarks>
    public void NotifyOne() => NotifyCore(last: false);

    /// <summary>
    /// Wakes the task that started waiting most recently (LIFO), or stores a permit if nobody waits.
    /// </summary>
    /// <remarks>
    /// <para><b>Thread safety:</b> may be called from any thread, inside or outside a runtime.</para>
    /// </remarks>
    public void NotifyLast() => NotifyCore(last: true);

    /// <summary>
    /// Wakes every task waiting now. Stores no permit, so a task that starts waiting afterwards
    /// waits for the next notification.
    /// </summary>
    /// <remarks>
    /// <para><b>Thread safety:</b> may be called from any thread, inside or outside a runtime.
    /// "Waiting now" means queued when the call takes the notify's lock: a task whose
    /// <see cref="NotifiedAsync"/> call returned before this call started is always woken.</para>
    /// </remarks>
    public void NotifyWaiters()
    {
        _gate.Enter();
        WaitNode? all = _waiters.DrainLocked();
        _gate.Exit();

        SyncWaiter.CompleteChain(all, true);
    }

    /// <summary>
    /// Waits for a notification: takes the stored permit if there is one, otherwise queues the
    /// caller until <see cref="NotifyOne"/>, <see cref="NotifyLast"/> or <see cref="NotifyWaiters"/>.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>
    /// A value task that completes when the caller is notified. The waiter is queued before this
    /// method returns; await the value task exactly once.
    /// </returns>
    /// <exception cref="OperationCanceledException">
    /// The token fired, or the calling task was aborted, before a notification reached the waiter.
    /// </exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe. A cancelled wait leaves the queue and takes nothing;
    /// a notification that had already chosen this waiter is delivered (the await succeeds) rather
    /// than lost. A wait that takes the stored permit always succeeds, even if the task is aborted
    /// while it yields for the coop budget (the task's next Spindle await throws instead).</para>
    /// <para><b>Thread safety:</b> any number of tasks may wait at once; they are woken in FIFO order.</para>
    /// </remarks>
    public ValueTask NotifiedAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        _gate.Enter();
        if (!_permit)
        {
            // Renting and preparing the waiter are field writes (no call-outs), fine inside the gate.
            SyncWaiter waiter = _own is { IsIdle: true } own ? own : RentWaiter();
            short token = waiter.Begin(callerFilePath, callerLineNumber, callerMemberName);
            _waiters.EnqueueLocked(waiter);
            _gate.Exit();
            // After the gate: a token that fires during registration finds the waiter queued (or
            // already completed by a notification, and then does nothing), and its callback takes
            // the gate itself. The waiter is not recycled before it is awaited, so it is still ours.
            waiter.RegisterCancellation(cancellationToken);
            return new ValueTask(waiter, token);
        }

        // The permit is taken now in either case, so the outcome is decided by this call (as for a queued waiter).
        _permit = false;
        _gate.Exit();
        return Coop.TryConsume() ? default : NotifiedAfterYieldAsync();
    }

    /// <summary>The coop budget is spent and the permit already taken: give way first, then report the notification.</summary>
    /// <summary>The first wait creates the owned waiter; a wait that finds it busy rents one.</summary>
    private SyncWaiter RentWaiter() => _own is null ? _own = SyncWaiter.CreateOwned(this, 1) : SyncWaiter.Rent(this, 1);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask NotifiedAfterYieldAsync()
    {
        try
        {
            await SpindleTask.YieldAsync();
        }
        catch (OperationCanceledException)
        {
            // Aborted or timed out during the forced yield: the permit is already this waiter's, so the
            // wait succeeds like one that NotifyOne chose before its cancellation. Handing the permit
            // back instead could coalesce it with a newer one and lose a notification; the task's
            // next Spindle await throws.
        }
    }

    /// <summary>Wakes the head (or tail) waiter or stores the permit; the outcome is reported for tests.</summary>
    internal NotifyOutcome NotifyCore(bool last)
    {
        _gate.Enter();
        WaitNode? node = last ? _waiters.Tail : _waiters.Head;
        if (node is null)
        {
            NotifyOutcome outcome = _permit ? NotifyOutcome.Coalesced : NotifyOutcome.StoredPermit;
            _permit = true;
            _gate.Exit();
            return outcome;
        }

        Debug.Assert(!_permit, "a permit was stored while waiters were queued");
        _waiters.RemoveLocked(node);
        _gate.Exit();
        // Only SyncWaiters are ever queued here.
        Unsafe.As<SyncWaiter>(node).Complete(true);
        return NotifyOutcome.Woke;
    }

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version)
    {
        // Nothing else to pass on: a notify waiter holds nothing while it is queued.
        _gate.Enter();
        bool removed = waiter.IsWait(version) && _waiters.RemoveLocked(waiter);
        _gate.Exit();
        return removed;
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) =>
        ("notify", $"{WaiterCount} waiting");
}
