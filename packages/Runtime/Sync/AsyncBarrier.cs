using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// Lets a fixed number of tasks wait until all of them have reached the same point (tokio's
/// <c>sync::Barrier</c>, the asynchronous counterpart of <see cref="System.Threading.Barrier"/>).
/// When the last participant arrives, every waiting participant is released, exactly one of them
/// (the last to arrive) is told it is the leader, and the barrier starts its next generation.
/// </summary>
/// <remarks>
/// <para>
/// <b>Cancellation:</b> unlike tokio's barrier, waiting is cancel safe: a participant whose wait is
/// cancelled (token, <see cref="JoinHandle.Abort"/>, timeout) withdraws its arrival, so the
/// generation still needs that many arrivals and the others keep waiting. If the generation was
/// released before the cancellation reached the waiter, the wait completes normally instead: the
/// arrival counted, and the others were not held back.
/// </para>
/// <para><b>Thread safety:</b> every member is thread-safe.</para>
/// <para>Allocation: none per wait or per generation in steady state (waiters are pooled).</para>
/// </remarks>
/// <example>
/// <code>
/// var barrier = new AsyncBarrier(3);
/// for (int i = 0; i &lt; 3; i++)
/// {
///     SpindleTask.Spawn(async () =&gt;
///     {
///         // ... phase 1 ...
///         BarrierWaitResult result = await barrier.WaitAsync();
///         if (result.IsLeader) { Console.WriteLine("everyone finished phase 1"); }
///         // ... phase 2 ...
///     });
/// }
/// </code>
/// </example>
public sealed class AsyncBarrier : IWaitOwner
{
    // Design
    //
    // Invariant (under _lock): the participants that have arrived in the current generation are
    // exactly the queued waiters, so _waiters.Count < _participants; withdrawing an arrival is just
    // unlinking the waiter. A waiter is completed only by whoever unlinked it, after the lock is
    // released (WaitNode's rule).
    //
    //   WaitAsync:  Count + 1 < participants ─► queued ─► leader drains the queue ─► IsLeader = false
    //                                                  └► token/abort/timeout unlinks it ─► throws, arrival withdrawn
    //               Count + 1 == participants ─► leader: drain, _generation++ ─► IsLeader = true (synchronous)
    //
    // The leader's synchronous completion takes a coop unit; with the budget spent it yields before
    // arriving (not after), so an aborted yield leaves no arrival behind.
    private readonly Lock _lock = new();
    private readonly int _participants;
    // Mutable struct: never readonly.
    private WaitQueue _waiters;
    private long _generation;

    /// <summary>Creates a barrier for <paramref name="participants"/> tasks.</summary>
    /// <param name="participants">How many arrivals release a generation; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="participants"/> is zero or negative.</exception>
    public AsyncBarrier(int participants)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(participants);
        _participants = participants;
    }

    /// <summary>Gets the number of arrivals that release a generation.</summary>
    public int ParticipantCount => _participants;

    /// <summary>Gets the number of generations released so far (racy snapshot).</summary>
    // Pairs with the Volatile.Write in WaitAsync: no lock needed for a snapshot.
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Racy snapshot of the arrivals in the current generation (tests and listings); takes no lock, so listings never block.</summary>
    internal int ArrivedCount => _waiters.Count;

    /// <summary>
    /// Arrives at the barrier and waits until <see cref="ParticipantCount"/> participants have
    /// arrived in this generation.
    /// </summary>
    /// <param name="cancellationToken">Withdraws the arrival and ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>
    /// A value task that completes when the generation is released; its result says whether this
    /// participant was the leader (the last to arrive, which completes synchronously).
    /// </returns>
    /// <exception cref="OperationCanceledException">
    /// The token fired, or the calling task was aborted, before the generation was released.
    /// </exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> a cancelled wait withdraws its arrival: the generation is not
    /// released until another participant takes its place. A wait whose generation was released
    /// before the cancellation reached it completes normally (its arrival counted).</para>
    /// <para><b>Thread safety:</b> any number of tasks may wait at once; arrivals beyond
    /// <see cref="ParticipantCount"/> belong to the next generation.</para>
    /// </remarks>
    public ValueTask<BarrierWaitResult> WaitAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        WaitNode? released = null;
        bool yieldFirst = false;
        lock (_lock)
        {
            if (_waiters.Count + 1 < _participants)
            {
                SyncWaiter waiter = SyncWaiter.Rent(this, 1);
                short token = waiter.Begin(callerFilePath, callerLineNumber, callerMemberName);
                _waiters.EnqueueLocked(waiter);
                // Under the lock: a token that fires now finds the waiter queued (RemoveWaiter re-enters the lock on this thread).
                waiter.RegisterCancellation(cancellationToken);
                return new ValueTask<BarrierWaitResult>(waiter, token);
            }

            if (Coop.TryConsume())
            {
                released = _waiters.DrainLocked();
                // Pairs with the lock-free read in Generation: a 64-bit value published whole.
                Volatile.Write(ref _generation, _generation + 1);
            }
            else
            {
                yieldFirst = true;
            }
        }

        if (yieldFirst)
        {
            return WaitAfterYieldAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
        }

        SyncWaiter.CompleteChain(released, false);
        return new ValueTask<BarrierWaitResult>(new BarrierWaitResult(true));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<BarrierWaitResult> WaitAfterYieldAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        return await WaitAsync(cancellationToken, file, line, member).ConfigureAwait(true);
    }

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version)
    {
        lock (_lock)
        {
            // Unlinking is the withdrawal: the arrivals are the queued waiters.
            return waiter.IsWait(version) && _waiters.RemoveLocked(waiter);
        }
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) =>
        ("barrier", $"{ArrivedCount} of {_participants} arrived, generation {Generation}");
}
