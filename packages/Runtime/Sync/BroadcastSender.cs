using System;
using System.Threading;

namespace Spindle.Sync;

/// <summary>
/// The sending side of a broadcast channel (see <see cref="Broadcast"/>). Clone it to give another
/// producer its own handle; the channel closes when every handle is disposed.
/// </summary>
/// <typeparam name="T">The values sent.</typeparam>
/// <remarks>
/// <para>Sending never waits: the ring overwrites its oldest value and slow receivers learn that they lagged.</para>
/// <para><b>Thread safety:</b> every member is thread-safe; one handle may be shared by many threads.</para>
/// </remarks>
public sealed class BroadcastSender<T> : IDisposable
{
    private readonly BroadcastChannel<T> _channel;
    private int _disposed;

    internal BroadcastSender(BroadcastChannel<T> channel) => _channel = channel;

    /// <summary>Gets how many values the channel keeps: the requested capacity rounded up to a power of two.</summary>
    public int Capacity => _channel.Capacity;

    /// <summary>Gets the number of live receivers (each will see the next value sent).</summary>
    public int ReceiverCount => _channel.ReceiverCount;

    /// <summary>
    /// Gets the number of values still queued: sent and not yet read by every receiver that existed
    /// when they were sent, and not yet overwritten (tokio's <c>Sender::len</c>). A value a receiver
    /// has taken into its batch of upcoming values counts as read by it (see <see cref="BroadcastReceiver{T}"/>).
    /// </summary>
    public int Len => _channel.Len;

    /// <summary>Gets whether no value is queued (see <see cref="Len"/>).</summary>
    public bool IsEmpty => Len == 0;

    /// <summary>Sends a value to every current receiver without waiting.</summary>
    /// <param name="value">The value; every receiver gets this same value (the same instance for reference types).</param>
    /// <returns>
    /// The number of receivers that will see it; 0 when there is none, in which case the value is
    /// dropped (tokio returns an error there; a broadcast without listeners is expected, so this does not throw).
    /// </returns>
    /// <exception cref="ObjectDisposedException">This sender handle was disposed.</exception>
    /// <remarks>
    /// <para><b>Thread safety:</b> concurrent sends from any handles are ordered: every receiver sees them in the same order.</para>
    /// </remarks>
    public int Send(T value)
    {
        // Racy check for misuse only: the channel itself refuses sends once closed.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _channel.Send(value);
    }

    /// <summary>Creates a receiver that sees every value sent from now on (none of those queued before).</summary>
    /// <returns>A new receiver; dispose it when done so the values it would read are released.</returns>
    /// <exception cref="ObjectDisposedException">This sender handle was disposed.</exception>
    public BroadcastReceiver<T> Subscribe()
    {
        // Racy check for misuse only; a live handle keeps the channel open.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new BroadcastReceiver<T>(_channel.Subscribe());
    }

    /// <summary>Creates another sender handle for the same channel; the channel stays open until every handle is disposed.</summary>
    /// <returns>A new sender handle.</returns>
    /// <exception cref="ObjectDisposedException">This sender handle was disposed.</exception>
    public BroadcastSender<T> Clone()
    {
        // Racy check for misuse only; a live handle keeps the sender count above zero.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _channel.AddSender();
        return new BroadcastSender<T>(_channel);
    }

    /// <summary>
    /// Releases this handle. When it is the last one the channel closes: receivers read the values
    /// still queued for them and then get <see cref="BroadcastStatus.Closed"/>.
    /// </summary>
    /// <remarks><para><b>Thread safety:</b> idempotent; safe to call from any thread.</para></remarks>
    public void Dispose()
    {
        // One winner releases the handle's count, however many threads dispose it.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.RemoveSender();
        }
    }
}
