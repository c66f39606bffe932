using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;

namespace Spindle.Net;

/// <summary>
/// The write side of a <see cref="StreamSocket"/> after <see cref="StreamSocket.IntoSplit"/>: it shares
/// ownership of the socket with its <see cref="OwnedReadHalf"/>; the socket closes when both are disposed.
/// </summary>
/// <remarks>
/// <para>Disposing the write half shuts down the write direction (the peer reads end of stream), as
/// dropping tokio's <c>OwnedWriteHalf</c> does; the read half keeps working.</para>
/// <para><b>Thread safety:</b> use it on one task while the read half is used on another.</para>
/// </remarks>
public sealed class OwnedWriteHalf : IDisposable
{
    private int _state; // 0 = owned, 1 = disposed or reunited

    internal OwnedWriteHalf(StreamSocket stream) => Stream = stream;

    internal StreamSocket Stream { get; }

    /// <inheritdoc cref="StreamSocket.WriteAsync"/>
    public ValueTask<int> WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDetached();
        return Stream.WriteAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <inheritdoc cref="StreamSocket.WriteAllAsync"/>
    public ValueTask WriteAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDetached();
        return Stream.WriteAllAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <inheritdoc cref="StreamSocket.WritableAsync"/>
    public ValueTask<ReadyEvent> WritableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDetached();
        return Stream.WritableAsync(cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <inheritdoc cref="StreamSocket.TryWrite"/>
    public bool TryWrite(ReadOnlySpan<byte> buffer, out int bytesWritten)
    {
        ThrowIfDetached();
        return Stream.TryWrite(buffer, out bytesWritten);
    }

    /// <inheritdoc cref="StreamSocket.ShutdownWrite"/>
    public void ShutdownWrite()
    {
        ThrowIfDetached();
        Stream.ShutdownWrite();
    }

    /// <summary>Shuts down writes and gives up this half's share of the socket; the socket closes once the read half is disposed too. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, 1) == 0)
        {
            try
            {
                Stream.ShutdownWrite();
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Already closed or reset: there is nothing left to shut down.
            }

            Stream.ReleaseHalf();
        }
    }

    internal bool TryDetach() => Interlocked.Exchange(ref _state, 1) == 0;

    private void ThrowIfDetached() =>
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) != 0, this);
}
