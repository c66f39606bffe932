using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;

namespace Spindle.Net;

/// <summary>
/// The write side of a <see cref="StreamSocket"/> from <see cref="StreamSocket.Split"/>: borrowed, it does
/// not own the stream (dispose the stream when both halves are done).
/// </summary>
/// <remarks><para><b>Thread safety:</b> use it on one task while the <see cref="ReadHalf"/> is used on another.</para></remarks>
public readonly struct WriteHalf : IEquatable<WriteHalf>
{
    private readonly StreamSocket? _stream;

    internal WriteHalf(StreamSocket stream) => _stream = stream;

    private StreamSocket Stream => _stream ?? throw new InvalidOperationException("This WriteHalf is default; get one from StreamSocket.Split().");

    /// <inheritdoc cref="StreamSocket.WriteAsync"/>
    public ValueTask<int> WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Stream.WriteAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <inheritdoc cref="StreamSocket.WriteAllAsync"/>
    public ValueTask WriteAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Stream.WriteAllAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <inheritdoc cref="StreamSocket.WritableAsync"/>
    public ValueTask<ReadyEvent> WritableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Stream.WritableAsync(cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <inheritdoc cref="StreamSocket.TryWrite"/>
    public bool TryWrite(ReadOnlySpan<byte> buffer, out int bytesWritten) => Stream.TryWrite(buffer, out bytesWritten);

    /// <inheritdoc cref="StreamSocket.ShutdownWrite"/>
    public void ShutdownWrite() => Stream.ShutdownWrite();

    /// <inheritdoc/>
    public bool Equals(WriteHalf other) => ReferenceEquals(_stream, other._stream);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is WriteHalf other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _stream is null ? 0 : RuntimeHelpers.GetHashCode(_stream);

    /// <summary>Whether two halves write the same stream.</summary>
    /// <param name="left">The first half.</param>
    /// <param name="right">The second half.</param>
    /// <returns>Whether they share the stream.</returns>
    public static bool operator ==(WriteHalf left, WriteHalf right) => left.Equals(right);

    /// <summary>Whether two halves write different streams.</summary>
    /// <param name="left">The first half.</param>
    /// <param name="right">The second half.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(WriteHalf left, WriteHalf right) => !left.Equals(right);
}
