using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// The receiving half of a oneshot channel (<see cref="Oneshot.Create{T}"/>): waits for the one value.
/// It can be awaited directly (<c>await receiver</c>) or through <see cref="RecvAsync"/>.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
/// <remarks>
/// <para>
/// Design: the channel's whole state lives here (the sender is a thin handle), in one word changed only
/// by CAS, so sending and receiving take no lock. Bits: <c>ValueSent</c>, <c>SenderDropped</c>,
/// <c>ReceiverClosed</c>, <c>ValueTaken</c> only ever get set; <c>RecvWaiting</c> is set by a receive
/// that found nothing and cleared by exactly one claimer — Send, the sender's Dispose, Close, or
/// cancellation — and only the claimer completes the embedded wait, so a late completer can never
/// complete a later wait. The value field is written before the CAS that sets <c>ValueSent</c> and
/// read after a read of the state that saw it. A Send that claims a waiting receive sets
/// <c>ValueTaken</c> in that same CAS and hands the value to the receive, which then takes it without
/// another atomic step; otherwise the receive (or Dispose) sets <c>ValueTaken</c> to take it.
/// </para>
/// <para>
/// State arrows: empty → ValueSent (Send) | SenderDropped (sender disposed) | ReceiverClosed (Close,
/// Dispose: a later Send fails); ValueSent → ValueTaken (receive, or Dispose dropping the value);
/// RecvWaiting → ValueSent | ValueTaken (Send handing the value to the waiting receive); ValueSent →
/// SenderDropped too (the sender disposed after sending: its ClosedAsync ends, the value stays).
/// A receive returns the value when ValueSent is set and ValueTaken is not, or when it was handed the
/// value; it returns without a value once any of the other final bits is set.
/// </para>
/// <para>
/// The sender's ClosedAsync is a pooled <see cref="SyncWaiter"/> published in <c>_closedWaiter</c>;
/// Close sets ReceiverClosed and then takes the slot, ClosedAsync publishes the slot and then checks
/// ReceiverClosed, both with full fences, so one of them sees the other.
/// </para>
/// <para><b>Thread safety:</b> one receive at a time (<see cref="RecvAsync"/>, <see cref="TryRecv"/>,
/// <see cref="BlockingRecv"/>); <see cref="Close"/> and <see cref="Dispose"/> from anywhere.</para>
/// </remarks>
public sealed class OneshotReceiver<T> : IDisposable, IValueTaskSource<RecvResult<T>>, ILeaf, IWaitOwner
{
    private const int ValueSent = 1;
    private const int SenderDropped = 2;
    private const int ReceiverClosed = 4;
    private const int RecvWaiting = 8;
    private const int ValueTaken = 16;
    private const int Final = ValueSent | SenderDropped | ReceiverClosed;

    private static readonly Action<object?> s_wakeAfterYield = static state => ((OneshotReceiver<T>)state!).CompleteWait(null);

    // Mutable struct: never readonly.
    private LeafWait _wait;
    private T? _value;
    private int _state;
    private SyncWaiter? _closedWaiter;

    internal OneshotReceiver()
    {
    }

    internal bool IsReceiverClosed => (Volatile.Read(ref _state) & ReceiverClosed) != 0;

    /// <summary>Waits for the value.</summary>
    /// <param name="cancellationToken">Ends the wait early; the value, if it arrives, stays for the next receive.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>
    /// The value; or a result without a value if the sender was disposed without sending, the receiver
    /// was closed before a value was sent, or the value was already received.
    /// </returns>
    /// <exception cref="InvalidOperationException">Another receive is pending on this receiver.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the task was aborted or timed out, while waiting.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel-safe. A cancelled receive (token, <see cref="JoinHandle.Abort"/>, a
    /// timeout) takes nothing: a value sent meanwhile stays for the next receive.</para>
    /// <para><b>Thread safety:</b> one receive at a time.</para>
    /// </remarks>
    public ValueTask<RecvResult<T>> RecvAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        EnsureNoReceive();
        // Pairs with the CAS in Send: seeing ValueSent makes the value visible.
        if ((Volatile.Read(ref _state) & Final) != 0)
        {
            if (Coop.TryConsume())
            {
                return new ValueTask<RecvResult<T>>(TakeValue());
            }

            // Budget spent: complete after one trip through the run queue (in the leaf, so the forced
            // yield allocates nothing). Unpublished, so nobody else completes it.
            short yielded = _wait.Begin(this, callerFilePath, callerLineNumber, callerMemberName, default);
            TaskCore.Current!.EnqueueYield(s_wakeAfterYield, this);
            return new ValueTask<RecvResult<T>>(this, yielded);
        }

        short token = _wait.Begin(this, callerFilePath, callerLineNumber, callerMemberName, default);
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if ((s & Final) != 0)
            {
                // The sender acted between the check above and Begin: complete our own (unpublished) wait.
                CompleteWait(null);
                break;
            }

            // Publishes the wait; whoever clears RecvWaiting (with a CAS) owns its completion.
            if (Interlocked.CompareExchange(ref _state, s | RecvWaiting, s) == s)
            {
                // After publishing, so a token that fires now can claim the wait; a completer that claimed
                // it first makes the callback find nothing to cancel.
                _wait.RegisterCancellation(this, cancellationToken);
                break;
            }
        }

        return new ValueTask<RecvResult<T>>(this, token);
    }

    /// <summary>Gets an awaiter for <see cref="RecvAsync"/> without a token, so the receiver can be awaited directly.</summary>
    /// <returns>The awaiter.</returns>
#pragma warning disable CA2012 // The ValueTask is consumed once, by the awaiter handed to the await.
    public ValueTaskAwaiter<RecvResult<T>> GetAwaiter() => RecvAsync().GetAwaiter();
#pragma warning restore CA2012

    /// <summary>Takes the value if it has been sent, without waiting.</summary>
    /// <param name="value">The value, or default.</param>
    /// <returns>
    /// <see cref="TryRecvStatus.Received"/>; <see cref="TryRecvStatus.Empty"/> if the sender may still send;
    /// <see cref="TryRecvStatus.Closed"/> if no value will ever come (sender disposed, receiver closed, or already received).
    /// </returns>
    /// <exception cref="InvalidOperationException">A receive is pending on this receiver.</exception>
    public TryRecvStatus TryRecv([MaybeNullWhen(false)] out T value)
    {
        EnsureNoReceive();
        int s = Volatile.Read(ref _state);
        if ((s & Final) != 0 && TakeValue().TryGetValue(out T? taken))
        {
            value = taken;
            return TryRecvStatus.Received;
        }

        value = default!;
        return (s & Final) == 0 ? TryRecvStatus.Empty : TryRecvStatus.Closed;
    }

    /// <summary>Waits for the value from synchronous code, blocking the thread.</summary>
    /// <returns>The value, or a result without a value (see <see cref="RecvAsync"/>).</returns>
    /// <exception cref="InvalidOperationException">Called on a Spindle task or runtime thread, which it would stall: await the receiver there.</exception>
    public RecvResult<T> BlockingRecv()
    {
        BlockingWait.EnsureOffRuntime("OneshotReceiver.BlockingRecv");
        return BlockingWait.Wait(RecvAsync());
    }

    /// <summary>
    /// Closes the receiver: a later <see cref="OneshotSender{T}.Send"/> fails and the sender's
    /// <see cref="OneshotSender{T}.ClosedAsync"/> completes. A value sent before can still be received;
    /// a pending receive without one returns without a value.
    /// </summary>
    /// <remarks><para><b>Thread safety:</b> callable from anywhere, any number of times.</para></remarks>
    public void Close()
    {
        int s = Volatile.Read(ref _state);
        while ((s & ReceiverClosed) == 0)
        {
            // Claims a pending receive (clearing RecvWaiting) in the same step that closes.
            int seen = Interlocked.CompareExchange(ref _state, (s | ReceiverClosed) & ~RecvWaiting, s);
            if (seen == s)
            {
                if ((s & RecvWaiting) != 0)
                {
                    CompleteWait(null);
                }

                break;
            }

            s = seen;
        }

        // After the closing CAS (a full fence): pairs with ClosedAsync, which publishes and then re-checks the state.
        CompleteClosedWaiter();
    }

    /// <summary>Closes the receiver and drops a value that was sent but not received.</summary>
    /// <remarks><para><b>Thread safety:</b> callable from anywhere, any number of times.</para></remarks>
    public void Dispose()
    {
        Close();
        _ = TakeValue();
    }

    internal bool Send(T value)
    {
        int s = Volatile.Read(ref _state);
        ThrowIfSenderDone(s);
        if ((s & ReceiverClosed) != 0)
        {
            return false;
        }

        _value = value;
        while (true)
        {
            // Publishes _value (written above) with ValueSent, and claims a pending receive. A claimed receive
            // gets the value handed over: ValueTaken is set in the same step, so a racing Dispose leaves it alone.
            int next = (s & RecvWaiting) != 0 ? (s | ValueSent | ValueTaken) & ~RecvWaiting : s | ValueSent;
            int seen = Interlocked.CompareExchange(ref _state, next, s);
            if (seen == s)
            {
                if ((s & RecvWaiting) != 0)
                {
                    CompleteWait(null, handedOff: true);
                }

                return true;
            }

            s = seen;
            ThrowIfSenderDone(s);
            if ((s & ReceiverClosed) != 0)
            {
                _value = default;
                return false;
            }
        }
    }

    internal void DropSender()
    {
        int s = Volatile.Read(ref _state);
        // Also after a Send: the mark ends the sender's ClosedAsync (which documents completing when
        // this sender is disposed); a receive still gets the sent value, which ValueSent marks.
        while ((s & SenderDropped) == 0)
        {
            // Claims a pending receive, which then finds no value (a Send would have claimed it first).
            int seen = Interlocked.CompareExchange(ref _state, (s | SenderDropped) & ~RecvWaiting, s);
            if (seen == s)
            {
                if ((s & RecvWaiting) != 0)
                {
                    CompleteWait(null);
                }

                // A ClosedAsync of the dropped sender has nobody left to wait for.
                CompleteClosedWaiter();
                return;
            }

            s = seen;
        }
    }

    /// <summary>
    /// Completes a published ClosedAsync wait. Called after the CAS that set ReceiverClosed or
    /// SenderDropped (a full fence), so a plain read that finds no waiter is final: a ClosedAsync
    /// publishing later re-checks the state, sees the bit and completes itself. The common case (nobody
    /// waits) then costs no atomic step.
    /// </summary>
    private void CompleteClosedWaiter()
    {
        if (Volatile.Read(ref _closedWaiter) is not null)
        {
            Interlocked.Exchange(ref _closedWaiter, null)?.Complete(true);
        }
    }

    internal ValueTask ClosedAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        if ((Volatile.Read(ref _state) & (ReceiverClosed | SenderDropped)) != 0)
        {
            return Coop.TryConsume() ? default : ClosedAfterYieldAsync(file, line, member, cancellationToken);
        }

        SyncWaiter waiter = SyncWaiter.Rent(this, 0);
        short token = waiter.Begin(file, line, member);
        // Publishes the waiter for Close (a full fence before the re-check below).
        if (Interlocked.CompareExchange(ref _closedWaiter, waiter, null) is not null)
        {
            ThrowHelper.ThrowOneshotClosedAwaited();
        }

        if ((Volatile.Read(ref _state) & (ReceiverClosed | SenderDropped)) != 0
            && Interlocked.CompareExchange(ref _closedWaiter, null, waiter) == waiter)
        {
            // Closed between the first check and publishing, and Close had not taken the waiter yet.
            waiter.Complete(true);
        }
        else
        {
            waiter.RegisterCancellation(cancellationToken);
        }

        return new ValueTask(waiter, token);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ClosedAfterYieldAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        await ClosedAsync(file, line, member, cancellationToken).ConfigureAwait(true);
    }

    private static void ThrowIfSenderDone(int state)
    {
        if ((state & ValueSent) != 0)
        {
            ThrowHelper.ThrowOneshotAlreadySent();
        }

        ObjectDisposedException.ThrowIf((state & SenderDropped) != 0, typeof(OneshotSender<T>));
    }

    private void EnsureNoReceive()
    {
        if ((Volatile.Read(ref _state) & RecvWaiting) != 0 || !_wait.IsIdle)
        {
            ThrowHelper.ThrowConcurrentReceive();
        }
    }

    private RecvResult<T> TakeValue()
    {
        if ((Volatile.Read(ref _state) & (ValueSent | ValueTaken)) != ValueSent)
        {
            return default;
        }

        // A receive and a racing Dispose may both get here; the one that sets ValueTaken first owns the value.
        if ((Interlocked.Or(ref _state, ValueTaken) & ValueTaken) != 0)
        {
            return default;
        }

        T value = _value!;
        _value = default;
        return new RecvResult<T>(value);
    }

    // handedOff: the wait's flag, telling the receive that the value is its own (see Send).
    private void CompleteWait(Exception? error, bool handedOff = false) => _wait.CompleteClaimed(error, handedOff);

    ValueTaskSourceStatus IValueTaskSource<RecvResult<T>>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<RecvResult<T>>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    RecvResult<T> IValueTaskSource<RecvResult<T>>.GetResult(short token)
    {
        // Throws for a cancelled wait, which took nothing.
        if (_wait.GetResult(this, token))
        {
            // Handed over by the Send that completed this wait, which already marked the value taken for it.
            T value = _value!;
            _value = default;
            return new RecvResult<T>(value);
        }

        return TakeValue();
    }

    bool ILeaf.TryCancelWait(Exception error) => TryCancelReceive(error);

    bool ILeaf.TryCancelWaitOf(TaskCore task, Exception error) =>
        ReferenceEquals(_wait.WaitingTask, task) && TryCancelReceive(error);

    private bool TryCancelReceive(Exception error)
    {
        int s = Volatile.Read(ref _state);
        while ((s & RecvWaiting) != 0)
        {
            // Claims the wait; a completer that cleared RecvWaiting first owns it instead.
            int seen = Interlocked.CompareExchange(ref _state, s & ~RecvWaiting, s);
            if (seen == s)
            {
                CompleteWait(error);
                return true;
            }

            s = seen;
        }

        return false;
    }

    LeafInfo ILeaf.Describe() => _wait.Describe("oneshot.recv", "waiting for the value");

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version) =>
        // Unpublishes a cancelled ClosedAsync; fails if Close or the sender's Dispose took it first. The
        // version is checked before the exchange: this receiver has one ClosedAsync wait at a time, and
        // its next one starts only after this one's result was taken.
        waiter.IsWait(version) && Interlocked.CompareExchange(ref _closedWaiter, null, waiter) == waiter;

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) => ("oneshot.closed", "receiver open");
}
