using System;

namespace Spindle.Net;

/// <summary>What <see cref="UnixDatagram.ReceiveFromAsync"/> reports: the number of bytes copied and the sender's path.</summary>
public readonly struct UnixDatagramReceiveFromResult : IEquatable<UnixDatagramReceiveFromResult>
{
    /// <summary>Creates a result.</summary>
    /// <param name="count">The number of bytes written to the buffer.</param>
    /// <param name="remotePath">The sender's path, or null when the sender is unnamed.</param>
    public UnixDatagramReceiveFromResult(int count, string? remotePath)
    {
        Count = count;
        RemotePath = remotePath;
    }

    /// <summary>Gets the number of bytes written to the buffer.</summary>
    public int Count { get; }

    /// <summary>
    /// Gets the sender's path: a file path, an abstract name starting with <c>'@'</c>, or null when the
    /// sender is unnamed (not bound, or one end of <see cref="UnixDatagram.Pair"/>) and cannot be replied to.
    /// </summary>
    public string? RemotePath { get; }

    /// <inheritdoc/>
    public bool Equals(UnixDatagramReceiveFromResult other) => Count == other.Count && string.Equals(RemotePath, other.RemotePath, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is UnixDatagramReceiveFromResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Count, RemotePath);

    /// <inheritdoc/>
    public override string ToString() => $"{Count} bytes from {RemotePath ?? "(unnamed)"}";

    /// <summary>Compares two results for equality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(UnixDatagramReceiveFromResult left, UnixDatagramReceiveFromResult right) => left.Equals(right);

    /// <summary>Compares two results for inequality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(UnixDatagramReceiveFromResult left, UnixDatagramReceiveFromResult right) => !left.Equals(right);
}
