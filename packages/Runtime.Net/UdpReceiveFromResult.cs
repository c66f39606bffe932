using System;
using System.Net;

namespace Spindle.Net;

/// <summary>What <see cref="UdpSocket.ReceiveFromAsync"/> and <see cref="UdpSocket.PeekFromAsync"/> report: the number of bytes copied and the sender.</summary>
public readonly struct UdpReceiveFromResult : IEquatable<UdpReceiveFromResult>
{
    /// <summary>Creates a result.</summary>
    /// <param name="count">The number of bytes written to the buffer.</param>
    /// <param name="remoteEndPoint">The sender's address.</param>
    /// <exception cref="ArgumentNullException"><paramref name="remoteEndPoint"/> is null.</exception>
    public UdpReceiveFromResult(int count, IPEndPoint remoteEndPoint)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        Count = count;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>Gets the number of bytes written to the buffer.</summary>
    public int Count { get; }

    /// <summary>Gets the sender's address.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <inheritdoc/>
    public bool Equals(UdpReceiveFromResult other) => Count == other.Count && Equals(RemoteEndPoint, other.RemoteEndPoint);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is UdpReceiveFromResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Count, RemoteEndPoint);

    /// <inheritdoc/>
    public override string ToString() => $"{Count} bytes from {RemoteEndPoint}";

    /// <summary>Compares two results for equality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(UdpReceiveFromResult left, UdpReceiveFromResult right) => left.Equals(right);

    /// <summary>Compares two results for inequality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(UdpReceiveFromResult left, UdpReceiveFromResult right) => !left.Equals(right);
}
