using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Net.Internal;

/// <summary>
/// The <see cref="Stream"/> returned by <see cref="StreamSocket.AsStream"/>: asynchronous reads and
/// writes forward to the socket stream (zero allocation when they complete at once); errors are
/// wrapped as <see cref="NetworkStream"/> wraps them.
/// </summary>
/// <remarks>
/// Synchronous <see cref="Read(byte[], int, int)"/>/<see cref="Write(byte[], int, int)"/> throw: blocking
/// a runtime worker until its own driver reports readiness deadlocks a current-thread runtime.
/// </remarks>
internal sealed class SocketStreamView : Stream
{
    private readonly StreamSocket _stream;
    private readonly bool _ownsStream;
    private int _disposed;

    public SocketStreamView(StreamSocket stream, bool ownsStream)
    {
        _stream = stream;
        _ownsStream = ownsStream;
    }

    public override bool CanRead => Volatile.Read(ref _disposed) == 0;

    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException("A socket stream has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("A socket stream has no position.");
        set => throw new NotSupportedException("A socket stream has no position.");
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask<int> read;
        try
        {
            ThrowIfDisposed();
            read = _stream.ReadAsync(buffer, cancellationToken);
        }
        catch (SocketException e)
        {
            return ValueTask.FromException<int>(Wrap(e, "read from"));
        }

        return read.IsCompletedSuccessfully ? read : AwaitRead(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask write;
        try
        {
            ThrowIfDisposed();
            write = _stream.WriteAllAsync(buffer, cancellationToken);
        }
        catch (SocketException e)
        {
            return ValueTask.FromException(Wrap(e, "write to"));
        }

        return write.IsCompletedSuccessfully ? write : AwaitWrite(write);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw SyncNotSupported();

    public override int Read(Span<byte> buffer) => throw SyncNotSupported();

    public override void Write(byte[] buffer, int offset, int count) => throw SyncNotSupported();

    public override void Write(ReadOnlySpan<byte> buffer) => throw SyncNotSupported();

    public override void Flush()
    {
        // Writes go straight to the socket: nothing is buffered here.
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A socket stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A socket stream has no length.");

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsStream)
        {
            _stream.Dispose();
        }

        base.Dispose(disposing);
    }

    private static async ValueTask<int> AwaitRead(ValueTask<int> read)
    {
        try
        {
            return await read;
        }
        catch (SocketException e)
        {
            throw Wrap(e, "read from");
        }
    }

    private static async ValueTask AwaitWrite(ValueTask write)
    {
        try
        {
            await write;
        }
        catch (SocketException e)
        {
            throw Wrap(e, "write to");
        }
    }

    private static IOException Wrap(SocketException error, string operation) =>
        new($"Unable to {operation} the socket: {error.Message}", error);

    private static NotSupportedException SyncNotSupported() =>
        new("Synchronous reads and writes are not supported on a Spindle socket stream: they would block a runtime worker. Use ReadAsync/WriteAsync.");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
