using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Sync;

/// <summary>
/// The sending side of a watch channel (see <see cref="Watch"/>): stores new values and tells the
/// receivers. Disposing it ends the channel: receivers report the final value, then
/// <see cref="WatchReceiver{T}.ChangedAsync"/> returns <see langword="false"/>.
/// </summary>
/// <typeparam name="T">The value watched.</typeparam>
/// <remarks>
/// <para>
/// <b>Where user code runs:</b> the delegates given to <see cref="SendModify"/> and
/// <see cref="SendIfModified"/> run on the calling thread while the channel's lock is held (so the
/// change is atomic with respect to other sends and borrows). Keep them short; they must not block
/// on something that needs this channel from another thread. Receivers are woken after the lock is released.
/// </para>
/// <para><b>Thread safety:</b> every member is thread-safe; the sender may be shared by many threads.</para>
/// </remarks>
public sealed class WatchSender<T> : IDisposable
{
    private readonly WatchChannel<T> _channel;
    private int _disposed;

    internal WatchSender(WatchChannel<T> channel) => _channel = channel;

    /// <summary>Gets the number of live receivers.</summary>
    public int ReceiverCount => _channel.ReceiverCount;

    /// <summary>Gets whether every receiver is gone (a new <see cref="Subscribe"/> reopens the channel).</summary>
    public bool IsClosed => _channel.ReceiverCount == 0;

    /// <summary>Stores a new value and wakes the receivers, if there is at least one receiver (tokio's <c>send</c>).</summary>
    /// <param name="value">The new value.</param>
    /// <returns>
    /// <see langword="true"/> if stored; <see langword="false"/> if there is no receiver, in which case the
    /// value is not stored (tokio returns an error there). Use <see cref="SendReplace"/> to store regardless.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The sender was disposed.</exception>
    public bool Send(T value)
    {
        ThrowIfDisposed();
        return _channel.Send(value);
    }

    /// <summary>Stores a new value whether or not anyone receives it, wakes the receivers and returns the value it replaced.</summary>
    /// <param name="value">The new value.</param>
    /// <returns>The previous value.</returns>
    /// <exception cref="ObjectDisposedException">The sender was disposed.</exception>
    public T SendReplace(T value)
    {
        ThrowIfDisposed();
        return _channel.SendReplace(value);
    }

    /// <summary>Changes the value in place and wakes the receivers, whether or not anyone receives it.</summary>
    /// <param name="update">Changes the value; runs under the channel's lock on this thread.</param>
    /// <exception cref="ObjectDisposedException">The sender was disposed.</exception>
    /// <remarks>
    /// <para><b>Exceptions:</b> if <paramref name="update"/> throws, the exception propagates and nothing is
    /// published: a value type keeps its old value (the delegate works on a copy that is stored only when it
    /// returns); a reference type keeps whatever the delegate did to the shared instance before throwing.</para>
    /// </remarks>
    public void SendModify(WatchUpdater<T> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        ThrowIfDisposed();
        _channel.SendModify(update);
    }

    /// <summary>
    /// Changes the value in place if <paramref name="modify"/> says it did, and only then wakes the
    /// receivers (tokio's <c>send_if_modified</c>).
    /// </summary>
    /// <param name="modify">Changes the value and returns whether it did; runs under the channel's lock on this thread.</param>
    /// <returns>The result of <paramref name="modify"/>: whether a new version was published.</returns>
    /// <exception cref="ObjectDisposedException">The sender was disposed.</exception>
    /// <remarks>
    /// <para>When <paramref name="modify"/> returns <see langword="false"/> no receiver is woken and the version
    /// does not change; for a value type the delegate's changes are discarded, for a reference type the
    /// delegate must not have changed the shared instance.</para>
    /// <para><b>Exceptions:</b> as <see cref="SendModify"/>: nothing is published if the delegate throws.</para>
    /// </remarks>
    public bool SendIfModified(WatchModifier<T> modify)
    {
        ArgumentNullException.ThrowIfNull(modify);
        ThrowIfDisposed();
        return _channel.SendIfModified(modify);
    }

    /// <summary>Reads the current value (see <see cref="WatchRef{T}"/> for what is copied); <see cref="WatchRef{T}.HasChanged"/> is always false.</summary>
    /// <returns>The current value.</returns>
    /// <exception cref="ObjectDisposedException">The sender was disposed.</exception>
    public WatchRef<T> Borrow()
    {
        ThrowIfDisposed();
        return _channel.BorrowLatest();
    }

    /// <summary>Creates a receiver that has seen the current value: its first <c>ChangedAsync</c> waits for the next send.</summary>
    /// <returns>A new receiver.</returns>
    /// <exception cref="ObjectDisposedException">The sender was disposed.</exception>
    public WatchReceiver<T> Subscribe()
    {
        ThrowIfDisposed();
        return new WatchReceiver<T>(_channel.Subscribe());
    }

    /// <summary>Waits until every receiver is gone (tokio's <c>Sender::closed</c>).</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A wait that completes when the receiver count is zero, or when this sender is disposed.</returns>
    /// <exception cref="ObjectDisposedException">The sender was disposed before the call.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the awaiting task was aborted or timed out.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> nothing is consumed by this wait; cancelling it only stops waiting.</para>
    /// <para><b>Thread safety:</b> any number of tasks may wait at once.</para>
    /// </remarks>
    public ValueTask ClosedAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDisposed();
        return _channel.ClosedAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>
    /// Drops the sender: every receiver's <see cref="WatchReceiver{T}.ChangedAsync"/> reports a value it
    /// has not seen yet, then returns <see langword="false"/>; pending <see cref="ClosedAsync"/> waits complete.
    /// </summary>
    /// <remarks><para><b>Thread safety:</b> idempotent; safe to call from any thread.</para></remarks>
    public void Dispose()
    {
        // One winner closes the channel, however many threads dispose the sender.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.CloseSender();
        }
    }

    // Racy fast check; the channel checks again under its lock, so no store lands after the close.
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
