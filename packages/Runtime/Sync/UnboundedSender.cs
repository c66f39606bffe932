using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Sync;

/// <summary>
/// The sending half of an unbounded mpsc channel (<see cref="Mpsc.Unbounded{T}"/>): <see cref="Send"/>
/// never waits. Clone it for more producers; the channel stays open while at least one strong sender
/// is not disposed.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
/// <remarks>
/// <para>
/// Every sender, including every clone, must be disposed: the receiver sees the end of the stream only
/// when the last one is. A <see cref="WeakUnboundedSender{T}"/> (<see cref="Downgrade"/>) does not keep
/// the channel open.
/// </para>
/// <para><b>Thread safety:</b> all members are thread-safe; one sender may be used from many tasks at once.</para>
/// </remarks>
public sealed class UnboundedSender<T> : IDisposable
{
    private readonly MpscChannel<T> _channel;
    private int _disposed;

    internal UnboundedSender(MpscChannel<T> channel) => _channel = channel;

    /// <summary>Gets whether the receiver has been closed or disposed: every send from now on fails.</summary>
    public bool IsClosed => _channel.IsReceiverClosed;

    /// <summary>Queues <paramref name="value"/> at once.</summary>
    /// <param name="value">The message.</param>
    /// <returns><see langword="true"/> if queued; <see langword="false"/> if the receiver is closed or disposed (the value was not delivered).</returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    public bool Send(T value)
    {
        ThrowIfDisposed();
        return _channel.TryEnqueue(value, ownsSlot: false);
    }

    /// <summary>Waits until the receiver is closed or disposed (or every sender is disposed).</summary>
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
    public UnboundedSender<T> Clone()
    {
        ThrowIfDisposed();
        _channel.AddSender();
        return new UnboundedSender<T>(_channel);
    }

    /// <summary>Creates a weak sender: it does not keep the channel open, and can become a sender again while some strong sender exists.</summary>
    /// <returns>The weak sender.</returns>
    /// <exception cref="ObjectDisposedException">This sender was disposed.</exception>
    public WeakUnboundedSender<T> Downgrade()
    {
        ThrowIfDisposed();
        return new WeakUnboundedSender<T>(_channel);
    }

    /// <summary>Drops this sender. When it is the last strong sender, the receiver sees the end of the stream after the queued messages.</summary>
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
