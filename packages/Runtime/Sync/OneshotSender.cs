using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Sync;

/// <summary>
/// The sending half of a oneshot channel (<see cref="Oneshot.Create{T}"/>): sends one value, or is
/// disposed without sending, which the receiver sees as a result without a value.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
/// <remarks><para><b>Thread safety:</b> <see cref="Send"/> once, from one place; <see cref="IsClosed"/>,
/// <see cref="ClosedAsync"/> and <see cref="Dispose"/> from anywhere (one ClosedAsync at a time).</para></remarks>
public sealed class OneshotSender<T> : IDisposable
{
    private readonly OneshotReceiver<T> _channel;

    internal OneshotSender(OneshotReceiver<T> channel) => _channel = channel;

    /// <summary>Gets whether the receiver has been closed or disposed: a send would fail.</summary>
    public bool IsClosed => _channel.IsReceiverClosed;

    /// <summary>Sends the value; the receiver's pending or next receive gets it.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> if delivered to the channel; <see langword="false"/> if the receiver is closed or disposed (the value was not delivered).</returns>
    /// <exception cref="InvalidOperationException">A value was already sent: a oneshot carries one value.</exception>
    /// <exception cref="ObjectDisposedException">The sender was disposed.</exception>
    public bool Send(T value) => _channel.Send(value);

    /// <summary>Waits until the receiver is closed or disposed, e.g. to stop computing a reply nobody will read.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A task that completes when the receiver is gone (or this sender is disposed).</returns>
    /// <exception cref="InvalidOperationException">Another ClosedAsync of this sender is pending.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> a cancelled wait has no effect on the channel; the value can still be sent.</para>
    /// <para><b>Thread safety:</b> one wait at a time.</para>
    /// </remarks>
    public ValueTask ClosedAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _channel.ClosedAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Drops the sender. If no value was sent, the receiver gets a result without a value; after <see cref="Send"/> this does nothing.</summary>
    /// <remarks><para><b>Thread safety:</b> idempotent.</para></remarks>
    public void Dispose() => _channel.DropSender();
}
