using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Sync;

/// <summary>
/// The sending half of a bounded mpsc channel (<see cref="Mpsc.Bounded{T}"/>). Clone it for more
/// producers; the channel stays open while at least one strong sender is not disposed.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
/// <remarks>
/// <para>
/// Every sender, including every clone, must be disposed: the receiver sees the end of the stream only
/// when the last one is. A <see cref="WeakMpscSender{T}"/> (<see cref="Downgrade"/>) does not keep the
/// channel open.
/// </para>
/// <para><b>Thread safety:</b> all members are thread-safe; one sender may be used from many tasks at once.</para>
/// </remarks>
public sealed class MpscSender<T> : IDisposable
{
    private readonly MpscChannel<T> _channel;
    private int _disposed;

    internal MpscSender(MpscChannel<T> channel) => _channel = channel;

    /// <summary>Gets whether the receiver has been closed or disposed: every send from now on fails.</summary>
    public bool IsClosed => _channel.IsReceiverClosed;

    /// <summary>Gets the number of messages that can be sent now without waiting (a snapshot that other senders may change at once).</summary>
    public int Capacity => _channel.AvailableCapacity;

    /// <summary>Gets the capacity the channel was created with.</summary>
    public int MaxCapacity => _channel.MaxCapacity;

    /// <summary>Sends <paramref name="value"/>, waiting for room while the channel is full.</summary>
    /// <param name="value">The message.</param>
    /// <param name="cancellationToken">Ends the wait early; the value is not sent.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>
    /// <see langword="true"/> once the value is queued; <see langword="false"/> if the receiver is
    /// closed or disposed (before or while waiting), or if this was the last sender and it was disposed
    /// while the send waited: the value was not delivered and stays with the caller.
    /// </returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the task was aborted or timed out, while waiting for room.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> if the wait is cancelled (token, <see cref="JoinHandle.Abort"/>, a timeout),
    /// nothing is sent, the value stays with the caller, and the sender leaves the line of waiting senders;
    /// its turn passes to the one behind it, so no capacity is lost. Waiting senders are served first come, first served.</para>
    /// <para><b>Thread safety:</b> any number of sends may wait at once.</para>
    /// </remarks>
    public ValueTask<bool> SendAsync(T value, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDisposed();
        return _channel.SendAsync(value, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Sends <paramref name="value"/> if there is room now, without waiting.</summary>
    /// <param name="value">The message.</param>
    /// <returns>
    /// <see cref="TrySendStatus.Sent"/>; <see cref="TrySendStatus.Full"/> when there is no room (or senders
    /// are already waiting for it); <see cref="TrySendStatus.Closed"/> when the receiver is gone. Unless
    /// sent, the value stays with the caller.
    /// </returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    public TrySendStatus TrySend(T value)
    {
        ThrowIfDisposed();
        return _channel.TrySend(value);
    }

    /// <summary>Sends <paramref name="value"/> from synchronous code, blocking the thread while the channel is full.</summary>
    /// <param name="value">The message.</param>
    /// <returns><see langword="true"/> once queued; <see langword="false"/> if the receiver is gone.</returns>
    /// <exception cref="InvalidOperationException">Called on a Spindle task or runtime thread, which it would stall: await <see cref="SendAsync"/> there.</exception>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    public bool BlockingSend(T value)
    {
        BlockingWait.EnsureOffRuntime("MpscSender.BlockingSend");
        return BlockingWait.Wait(SendAsync(value));
    }

    /// <summary>
    /// Waits for room for one message and reserves it: the returned permit sends later without waiting
    /// and without failing (tokio's <c>reserve</c>). Use it to decide what to send only once room is certain.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early; nothing is reserved.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The permit, or null if the receiver is closed or disposed, or if this was the last sender and it was disposed while the reservation waited. Send with it or dispose it.</returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the task was aborted or timed out, while waiting.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> a cancelled wait reserves nothing and leaves the line of waiting senders; its turn passes on, so no capacity is lost.</para>
    /// <para><b>Thread safety:</b> any number of reservations may wait at once.</para>
    /// </remarks>
    /// <example>
    /// <code>
    /// if (await tx.ReserveAsync() is { } permit) { permit.Send(BuildExpensiveMessage()); }
    /// </code>
    /// </example>
    public ValueTask<MpscPermit<T>?> ReserveAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDisposed();
        return _channel.ReserveAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Reserves room for one message if there is some now, without waiting.</summary>
    /// <param name="permit">The permit when <see cref="TrySendStatus.Sent"/> is returned; otherwise default.</param>
    /// <returns><see cref="TrySendStatus.Sent"/> (reserved), <see cref="TrySendStatus.Full"/> or <see cref="TrySendStatus.Closed"/>.</returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    public TrySendStatus TryReserve(out MpscPermit<T> permit)
    {
        ThrowIfDisposed();
        return _channel.TryReserve(out permit);
    }

    /// <summary>Waits until the receiver is closed or disposed (or every sender is disposed), e.g. to stop producing work nobody will read.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A task that completes when the channel is closed.</returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> a cancelled wait has no effect on the channel.</para>
    /// <para><b>Thread safety:</b> any number of waits at once.</para>
    /// </remarks>
    public ValueTask ClosedAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDisposed();
        return _channel.ClosedAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Creates another strong sender on the same channel; it must be disposed too.</summary>
    /// <returns>The new sender.</returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    public MpscSender<T> Clone()
    {
        ThrowIfDisposed();
        _channel.AddSender();
        return new MpscSender<T>(_channel);
    }

    /// <summary>Creates a weak sender: it does not keep the channel open, and can become a sender again while some strong sender exists.</summary>
    /// <returns>The weak sender.</returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    public WeakMpscSender<T> Downgrade()
    {
        ThrowIfDisposed();
        return new WeakMpscSender<T>(_channel);
    }

    /// <summary>
    /// Drops this sender. When it is the last strong sender, the receiver sees the end of the stream after
    /// the queued messages, and sends or reservations of this sender still waiting for room end with
    /// <see langword="false"/> / <see langword="null"/> (nothing is queued after the end).
    /// </summary>
    /// <remarks><para><b>Thread safety:</b> idempotent; may race with itself.</para></remarks>
    public void Dispose()
    {
        // Only the first Dispose of this handle gives its count back, however many threads race here.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.RemoveSender();
        }
    }

    // A plain read: a racing Dispose is the caller's error, and the channel stays consistent either way.
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);
}
