using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;

namespace Spindle.Net;

/// <summary>
/// The read side of a <see cref="StreamSocket"/> after <see cref="StreamSocket.IntoSplit"/>: it shares
/// ownership of the socket with its <see cref="OwnedWriteHalf"/>; the socket closes when both are disposed.
/// </summary>
/// <remarks><para><b>Thread safety:</b> use it on one task while the write half is used on another.</para></remarks>
public sealed class OwnedReadHalf : IDisposable
{
    private int _state; // 0 = owned, 1 = disposed or reunited

    internal OwnedReadHalf(StreamSocket stream) => Stream = stream;

    internal StreamSocket Stream { get; }

    /// <inheritdoc cref="StreamSocket.ReadAsync"/>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDetached();
        return Stream.ReadAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <inheritdoc cref="StreamSocket.PeekAsync"/>
    public ValueTask<int> PeekAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDetached();
        return Stream.PeekAsync(buffer, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <inheritdoc cref="StreamSocket.ReadableAsync"/>
    public ValueTask<ReadyEvent> ReadableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDetached();
        return Stream.ReadableAsync(cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <inheritdoc cref="StreamSocket.TryRead"/>
    public bool TryRead(Span<byte> buffer, out int bytesRead)
    {
        ThrowIfDetached();
        return Stream.TryRead(buffer, out bytesRead);
    }

    /// <summary>Gives up this half's share of the socket; the socket closes once the write half is disposed too. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, 1) == 0)
        {
            Stream.ReleaseHalf();
        }
    }

    internal bool TryDetach() => Interlocked.Exchange(ref _state, 1) == 0;

    private void ThrowIfDetached() =>
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) != 0, this);
}
