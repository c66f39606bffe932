using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;

namespace Spindle.Net;

/// <summary>
/// The read side of a <see cref="StreamSocket"/> from <see cref="StreamSocket.Split"/>: borrowed, it does
/// not own the stream (dispose the stream when both halves are done).
/// </summary>
/// <remarks><para><b>Thread safety:</b> use it on one task while the <see cref="WriteHalf"/> is used on another.</para></remarks>
public readonly struct ReadHalf : IEquatable<ReadHalf>
{
    private readonly StreamSocket? _stream;

    internal ReadHalf(StreamSocket stream) => _stream = stream;

    private StreamSocket Stream => _stream ?? throw new InvalidOperationException("This ReadHalf is default; get one from StreamSocket.Split().");

    /// <inheritdoc cref="StreamSocket.ReadAsync"/>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Stream.ReadAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <inheritdoc cref="StreamSocket.PeekAsync"/>
    public ValueTask<int> PeekAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Stream.PeekAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <inheritdoc cref="StreamSocket.ReadableAsync"/>
    public ValueTask<ReadyEvent> ReadableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Stream.ReadableAsync(cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <inheritdoc cref="StreamSocket.TryRead"/>
    public bool TryRead(Span<byte> buffer, out int bytesRead) => Stream.TryRead(buffer, out bytesRead);

    /// <inheritdoc/>
    public bool Equals(ReadHalf other) => ReferenceEquals(_stream, other._stream);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReadHalf other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _stream is null ? 0 : RuntimeHelpers.GetHashCode(_stream);

    /// <summary>Whether two halves read the same stream.</summary>
    /// <param name="left">The first half.</param>
    /// <param name="right">The second half.</param>
    /// <returns>Whether they share the stream.</returns>
    public static bool operator ==(ReadHalf left, ReadHalf right) => left.Equals(right);

    /// <summary>Whether two halves read different streams.</summary>
    /// <param name="left">The first half.</param>
    /// <param name="right">The second half.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(ReadHalf left, ReadHalf right) => !left.Equals(right);
}
