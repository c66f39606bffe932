using System;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// Room for exactly one message in a bounded mpsc channel, reserved with
/// <see cref="MpscSender{T}.ReserveAsync"/> or <see cref="MpscSender{T}.TryReserve"/> (tokio's <c>Permit</c>).
/// <see cref="Send"/> uses it; <see cref="Dispose"/> gives the room back if it was not used.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
/// <remarks>
/// <para>
/// A permit is a copyable value, but it is used once: after <see cref="Send"/> or <see cref="Dispose"/>
/// every copy is spent (its state lives in the channel, versioned). While unused it counts like a
/// sender: the receiver does not see the end of the stream until it is sent or disposed, and it may
/// still send after <see cref="MpscReceiver{T}.Close"/>. Always dispose a permit you might not use
/// (<c>using</c>); disposing after Send does nothing.
/// </para>
/// <para><b>Thread safety:</b> Send and Dispose may race; exactly one of them takes effect.</para>
/// </remarks>
public readonly struct MpscPermit<T> : IDisposable, IEquatable<MpscPermit<T>>
{
    private readonly MpscChannel<T>? _channel;
    private readonly MpscPermitToken? _token;
    private readonly int _version;

    internal MpscPermit(MpscChannel<T> channel, MpscPermitToken token, int version)
    {
        _channel = channel;
        _token = token;
        _version = version;
    }

    /// <summary>Queues <paramref name="value"/> in the reserved room, without waiting; the permit is spent.</summary>
    /// <param name="value">The message. If the receiver was disposed meanwhile, it is dropped.</param>
    /// <exception cref="InvalidOperationException">The permit was already sent or disposed, or is default.</exception>
    public void Send(T value)
    {
        if (_channel is null)
        {
            ThrowHelper.ThrowPermitNotUsable();
        }

        _channel.SendWithPermit(_token!, _version, value);
    }

    /// <summary>Gives the reserved room back if the permit was not used; otherwise does nothing.</summary>
    public void Dispose() => _channel?.ReleasePermit(_token!, _version);

    /// <summary>Compares two permits: equal when they are copies of the same reservation.</summary>
    /// <param name="other">The other permit.</param>
    /// <returns><see langword="true"/> if equal.</returns>
    public bool Equals(MpscPermit<T> other) => ReferenceEquals(_token, other._token) && _version == other._version;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MpscPermit<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_token, _version);

    /// <summary>Compares two permits.</summary>
    /// <param name="left">The first permit.</param>
    /// <param name="right">The second permit.</param>
    /// <returns><see langword="true"/> if equal.</returns>
    public static bool operator ==(MpscPermit<T> left, MpscPermit<T> right) => left.Equals(right);

    /// <summary>Compares two permits.</summary>
    /// <param name="left">The first permit.</param>
    /// <param name="right">The second permit.</param>
    /// <returns><see langword="true"/> if different.</returns>
    public static bool operator !=(MpscPermit<T> left, MpscPermit<T> right) => !left.Equals(right);
}
