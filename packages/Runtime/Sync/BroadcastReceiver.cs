using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Sync;

/// <summary>
/// The receiving side of a broadcast channel (see <see cref="Broadcast"/>): it sees every value sent
/// while it exists, in send order, or learns that it lagged behind.
/// </summary>
/// <typeparam name="T">The values sent.</typeparam>
/// <remarks>
/// <para>
/// Dispose a receiver you no longer read: until then the channel counts it among the readers of every
/// value sent, so those values stay referenced until overwritten.
/// </para>
/// <para>
/// <b>Thread safety:</b> one consumer at a time: one pending <see cref="RecvAsync"/>, and no
/// <see cref="TryRecv"/> while it is pending (both throw <see cref="InvalidOperationException"/>).
/// Receives from two threads at once are not supported: a receiver that is behind takes the values
/// already sent in batches (up to 32 at a time) and returns them from later receives without a lock.
/// <see cref="Resubscribe"/>, <see cref="Len"/> and <see cref="Dispose"/> are safe from any thread.
/// Give each consumer its own receiver.
/// </para>
/// <para>
/// A value this receiver has taken into its batch counts as read: it is no longer counted by the
/// sender's <see cref="BroadcastSender{T}.Len"/> and can no longer be overwritten before this receiver
/// returns it, so a lag report counts only the values it did not take in time.
/// </para>
/// </remarks>
public sealed class BroadcastReceiver<T> : IDisposable
{
    private readonly BroadcastCursor<T> _cursor;

    internal BroadcastReceiver(BroadcastCursor<T> cursor) => _cursor = cursor;

    /// <summary>Gets the number of values sent that this receiver has not read (above the capacity when it lagged).</summary>
    public long Len => _cursor.Channel.PendingFor(_cursor);

    /// <summary>Gets whether every value sent so far has been read by this receiver.</summary>
    public bool IsEmpty => Len == 0;

    /// <summary>Gets whether every sender is gone (values may still be left to read).</summary>
    public bool IsClosed => _cursor.Channel.IsClosed;

    /// <summary>Receives the next value, waiting for one if none is ready.</summary>
    /// <param name="cancellationToken">Ends the wait early; nothing is taken.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>
    /// A value; or <see cref="BroadcastStatus.Lagged"/> once when values were overwritten before this
    /// receiver read them (the next receive returns the oldest value still held); or
    /// <see cref="BroadcastStatus.Closed"/> when every sender is gone and every value was read.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another receive of this receiver is pending.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the awaiting task was aborted or timed out.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel-safe. A receive cancelled by the token, <c>JoinHandle.Abort()</c>
    /// or a timeout takes nothing: the receiver's position is unchanged and the next receive returns the
    /// value this one would have. A receive that completes synchronously takes a unit of the task's coop
    /// budget; when the budget is spent it yields first.</para>
    /// <para><b>Thread safety:</b> one receive at a time per receiver. Disposing the receiver from
    /// elsewhere ends a pending receive with <see cref="BroadcastStatus.Closed"/>. Works outside a
    /// runtime too (the continuation then runs on the thread pool).</para>
    /// </remarks>
    public ValueTask<BroadcastResult<T>> RecvAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _cursor.Channel.RecvAsync(_cursor, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Receives the next value if one is ready, without waiting.</summary>
    /// <param name="result">
    /// The value; or <see cref="BroadcastStatus.Empty"/> (nothing yet), <see cref="BroadcastStatus.Lagged"/>
    /// (values were missed; the next call returns the oldest value held) or <see cref="BroadcastStatus.Closed"/>.
    /// </param>
    /// <returns><see langword="true"/> if a value was received.</returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">A <see cref="RecvAsync"/> of this receiver is pending.</exception>
    public bool TryRecv(out BroadcastResult<T> result)
    {
        result = _cursor.Channel.TryRecv(_cursor);
        return result.HasValue;
    }

    /// <summary>Receives the next value, blocking the calling thread until one is ready (tokio's <c>blocking_recv</c>).</summary>
    /// <param name="cancellationToken">Ends the wait early; nothing is taken.</param>
    /// <returns>The same outcomes as <see cref="RecvAsync"/>.</returns>
    /// <exception cref="InvalidOperationException">Called on a Spindle task or worker thread, where blocking would stall the runtime; or another receive is pending.</exception>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token fired.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> as <see cref="RecvAsync"/>: a cancelled call takes nothing.</para>
    /// <para><b>Thread safety:</b> for threads outside the runtime (or <c>SpawnBlocking</c>); one receive at a time.</para>
    /// </remarks>
    public BroadcastResult<T> BlockingRecv(CancellationToken cancellationToken = default)
    {
        BlockingWait.EnsureOffRuntime("BroadcastReceiver.BlockingRecv");
        return BlockingWait.Wait(RecvAsync(cancellationToken));
    }

    /// <summary>
    /// Creates a new receiver of the same channel that starts at the newest position: it sees values
    /// sent from now on, not those this receiver has yet to read (tokio's <c>resubscribe</c>).
    /// </summary>
    /// <returns>A new receiver; it works even after this one is disposed or the channel closed (it then reads Closed).</returns>
    public BroadcastReceiver<T> Resubscribe() => new(_cursor.Channel.Subscribe());

    /// <summary>
    /// Drops the receiver: it no longer counts as a reader of queued or future values (so they can be
    /// released), and a pending receive ends with <see cref="BroadcastStatus.Closed"/>.
    /// </summary>
    /// <remarks><para><b>Thread safety:</b> idempotent; safe to call from any thread.</para></remarks>
    public void Dispose() => _cursor.Channel.RemoveReceiver(_cursor);
}
