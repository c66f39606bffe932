using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Sync;

/// <summary>
/// The receiving half of an mpsc channel (<see cref="Mpsc.Bounded{T}"/>, <see cref="Mpsc.Unbounded{T}"/>):
/// takes the messages in the order they were queued.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
/// <remarks>
/// <para>
/// The stream ends when every strong sender (and every outstanding permit) is gone, or after
/// <see cref="Close"/>; the messages queued before that are still received first. Disposing the receiver
/// closes the channel and drops the queued messages.
/// </para>
/// <para><b>Thread safety:</b> one receive at a time (<see cref="RecvAsync"/>, <see cref="RecvManyAsync(IList{T}, int, CancellationToken, string?, int, string?)"/>,
/// <see cref="TryRecv"/>, <see cref="BlockingRecv"/>); starting a second one while the first is pending
/// throws <see cref="InvalidOperationException"/>. <see cref="Close"/> and the properties may be used
/// from anywhere. <see cref="Dispose"/> drops the queued messages, so, as usual in .NET, it must not run
/// at the same time as a receive on another thread (a pending <see cref="RecvAsync"/> is fine).</para>
/// </remarks>
public sealed class MpscReceiver<T> : IDisposable
{
    private readonly MpscChannel<T> _channel;
    private int _disposed;

    internal MpscReceiver(MpscChannel<T> channel) => _channel = channel;

    /// <summary>Gets whether the channel is closed: every sender is gone or <see cref="Close"/> was called. Queued messages may still be received.</summary>
    public bool IsClosed => _channel.IsClosedForReceiver;

    /// <summary>Gets the number of queued messages (a snapshot).</summary>
    public int Count => _channel.Count;

    /// <summary>Gets whether no message is queued (a snapshot).</summary>
    public bool IsEmpty => _channel.Count == 0;

    /// <summary>Gets the number of strong senders alive (a snapshot).</summary>
    public int SenderCount => _channel.SenderCount;

    /// <summary>Receives the next message, waiting while the queue is empty.</summary>
    /// <param name="cancellationToken">Ends the wait early; no message is taken.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The message, or a result without a value once the stream has ended and every queued message was received.</returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another receive is pending on this receiver.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the task was aborted or timed out, while waiting.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel-safe. A cancelled receive (token, <see cref="JoinHandle.Abort"/>, a
    /// timeout) takes no message: a message sent meanwhile stays queued for the next receive.</para>
    /// <para><b>Thread safety:</b> one receive at a time.</para>
    /// </remarks>
    public ValueTask<RecvResult<T>> RecvAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDisposed();
        return _channel.RecvAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>
    /// Receives up to <paramref name="limit"/> messages at once, appending them to <paramref name="buffer"/>;
    /// waits while the queue is empty. Cheaper per message than <see cref="RecvAsync"/> under load.
    /// </summary>
    /// <param name="buffer">Where the messages are appended (e.g. a reused <see cref="List{T}"/>).</param>
    /// <param name="limit">The most messages to take; at least 1.</param>
    /// <param name="cancellationToken">Ends the wait early; no message is taken.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>How many messages were appended; 0 only when the stream has ended and nothing is left.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is read-only (e.g. an array: use the <see cref="Memory{T}"/> overload).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is zero or negative.</exception>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another receive is pending on this receiver.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the task was aborted or timed out, while waiting.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel-safe: a cancelled wait appends nothing and takes no message.</para>
    /// <para><b>Thread safety:</b> one receive at a time; do not touch <paramref name="buffer"/> until the call completes.</para>
    /// </remarks>
    public ValueTask<int> RecvManyAsync(IList<T> buffer, int limit, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.IsReadOnly)
        {
            throw new ArgumentException("The buffer is read-only, so messages cannot be appended to it. Pass a List<T>, or use the Memory<T> overload for an array.", nameof(buffer));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ThrowIfDisposed();
        return _channel.RecvManyAsync(buffer, default, limit, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>
    /// Receives up to <c>buffer.Length</c> messages at once into <paramref name="buffer"/> from its start;
    /// waits while the queue is empty.
    /// </summary>
    /// <param name="buffer">Where the messages are written; not empty.</param>
    /// <param name="cancellationToken">Ends the wait early; no message is taken.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>How many messages were written; 0 only when the stream has ended and nothing is left.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is empty.</exception>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another receive is pending on this receiver.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the task was aborted or timed out, while waiting.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel-safe: a cancelled wait writes nothing and takes no message.</para>
    /// <para><b>Thread safety:</b> one receive at a time; do not touch <paramref name="buffer"/> until the call completes.</para>
    /// </remarks>
    public ValueTask<int> RecvManyAsync(Memory<T> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("The buffer is empty, so no message could be received into it. Pass a buffer with room for at least one message.", nameof(buffer));
        }

        ThrowIfDisposed();
        return _channel.RecvManyAsync(null, buffer, buffer.Length, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Takes the next message if one is queued, without waiting.</summary>
    /// <param name="value">The message, or default.</param>
    /// <returns>
    /// <see cref="TryRecvStatus.Received"/>; <see cref="TryRecvStatus.Empty"/> when nothing is queued but
    /// senders remain; <see cref="TryRecvStatus.Closed"/> when the stream has ended and nothing is left.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">A receive is pending on this receiver.</exception>
    public TryRecvStatus TryRecv([MaybeNullWhen(false)] out T value)
    {
        ThrowIfDisposed();
        return _channel.TryRecv(out value);
    }

    /// <summary>Receives the next message from synchronous code, blocking the thread while the queue is empty.</summary>
    /// <returns>The message, or a result without a value once the stream has ended.</returns>
    /// <exception cref="InvalidOperationException">Called on a Spindle task or runtime thread, which it would stall: await <see cref="RecvAsync"/> there.</exception>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    public RecvResult<T> BlockingRecv()
    {
        BlockingWait.EnsureOffRuntime("MpscReceiver.BlockingRecv");
        return BlockingWait.Wait(RecvAsync());
    }

    /// <summary>
    /// Closes the channel without dropping what is queued: senders (and their waits) fail from now on,
    /// except permits already reserved, and the receiver drains the queue before the stream ends.
    /// </summary>
    /// <remarks><para><b>Thread safety:</b> callable from anywhere, any number of times.</para></remarks>
    public void Close() => _channel.Close(dispose: false);

    /// <summary>Closes the channel and drops the queued messages; a pending receive returns without a value.</summary>
    /// <remarks><para><b>Thread safety:</b> callable from anywhere, any number of times.</para></remarks>
    public void Dispose()
    {
        // The flag only turns later receives into ObjectDisposedException; the channel makes Close idempotent itself.
        Volatile.Write(ref _disposed, 1);
        _channel.Close(dispose: true);
    }

    // Pairs with the write in Dispose, which may run on another thread.
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
