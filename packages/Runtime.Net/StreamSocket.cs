using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;
using Spindle.Net.Internal;

namespace Spindle.Net;

/// <summary>
/// A connected stream socket registered with a Spindle runtime: what <see cref="TcpStream"/> and
/// <see cref="UnixStream"/> share (reads, writes, readiness, halves, the <see cref="Stream"/> and
/// pipe views, shutdown).
/// </summary>
/// <remarks>
/// <para>
/// One read and one write may be in flight at once (each runs in its reserved slot of the
/// socket's <see cref="IoRegistration"/>, so steady-state reads and writes allocate nothing). Read on
/// one task and write on another freely; two concurrent reads (or two concurrent writes) are a
/// usage error and throw <see cref="InvalidOperationException"/>. <see cref="Split"/> and
/// <see cref="IntoSplit"/> make that division explicit.
/// </para>
/// <para>
/// <b>Lifetime:</b> <see cref="Dispose"/> deregisters the socket, then closes it; a read or write
/// waiting at that moment fails with <see cref="ObjectDisposedException"/>.
/// </para>
/// <para><b>Thread safety:</b> every member is thread-safe, within the one-read, one-write rule above.</para>
/// </remarks>
public abstract class StreamSocket : IDisposable
{
    // Design: the stream is a socket, its registration, and one reusable operation per direction
    // (SocketReceive in the reader slot, SocketSend in the writer slot). WriteAllAsync wraps the
    // writer's ValueTask<int> in a reusable non-generic source (WriteAllSource). Owned halves
    // count references in _halves: the last one disposed disposes the stream.
    //
    //   open ─Dispose / IntoSocket─► closed            (idempotent; first caller wins _disposed)
    //   open ─IntoSplit─► split (2 halves) ─both halves disposed─► closed
    //                           └─Reunite─► open
    private readonly Socket _socket;
    private readonly IoRegistration _registration;
    private readonly SocketReceive _receive;
    private readonly SocketSend _send;
    private readonly WriteAllSource _writeAll = new();
    private int _disposed;
    private int _halves;

    private protected StreamSocket(Socket socket, IoRegistration registration)
    {
        _socket = socket;
        _registration = registration;
        _receive = new SocketReceive(socket);
        _send = new SocketSend(socket);
    }

    /// <summary>The underlying socket, for options this type does not expose. Do not read or write it directly.</summary>
    private protected Socket Socket => _socket;

    /// <summary>Whether a read (or peek) is waiting in the reader slot; lets tests abort a read that is really parked.</summary>
    internal bool IsReadInFlight => _receive.IsRunning;

    /// <summary>The registration (readiness) of the socket.</summary>
    internal IoRegistration Registration => _registration;

    /// <summary>
    /// Reads into <paramref name="buffer"/>, waiting until at least one byte is available.
    /// </summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes read; 0 at end of stream (the peer shut down its writes), or at once for an empty buffer.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another read (or peek) is in flight.</exception>
    /// <exception cref="SocketException">The connection failed, e.g. <see cref="SocketError.ConnectionReset"/>.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe. A read cancelled (token, task abort, timeout) while waiting
    /// read nothing; no data is lost, and the next read sees it.</para>
    /// <para><b>Thread safety:</b> one read at a time; a concurrent write is fine.</para>
    /// </remarks>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Receive(buffer, SocketFlags.None, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>
    /// Reads into <paramref name="buffer"/> without removing the data from the socket's queue: the next
    /// read returns it again.
    /// </summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes copied; 0 at end of stream.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another read (or peek) is in flight.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe; a peek consumes nothing anyway.</para>
    /// <para><b>Thread safety:</b> uses the read slot: not concurrently with <see cref="ReadAsync"/>.</para>
    /// </remarks>
    public ValueTask<int> PeekAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Receive(buffer, SocketFlags.Peek, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>
    /// Writes some of <paramref name="buffer"/>, waiting until the socket can take at least one byte.
    /// </summary>
    /// <param name="buffer">The bytes to send.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes written, between 1 and the buffer's length (0 for an empty buffer).</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another write is in flight.</exception>
    /// <exception cref="SocketException">The connection failed, e.g. <see cref="SocketError.ConnectionReset"/> or <see cref="SocketError.Shutdown"/>.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a write cancelled while waiting sent nothing.</para>
    /// <para><b>Thread safety:</b> one write at a time; a concurrent read is fine.</para>
    /// </remarks>
    public ValueTask<int> WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Send(buffer, all: false, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>
    /// Writes all of <paramref name="buffer"/>, waiting for socket space as often as needed.
    /// </summary>
    /// <param name="buffer">The bytes to send.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A task that completes when the last byte was handed to the socket.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another write is in flight.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> <em>not</em> cancel safe: if cancelled part way, an unknown prefix of the
    /// buffer was sent (as with tokio's <c>write_all</c>); treat the stream as broken.</para>
    /// <para><b>Thread safety:</b> one write at a time; a concurrent read is fine.</para>
    /// </remarks>
    public ValueTask WriteAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ValueTask<int> written = Send(buffer, all: true, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
        if (written.IsCompletedSuccessfully)
        {
            _ = written.Result;
            return default;
        }

        return _writeAll.Wrap(written);
    }

    /// <summary>Waits until the socket is ready for any of <paramref name="interest"/> (at once if it already is).</summary>
    /// <param name="interest">What to wait for.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The readiness seen. It may be stale: follow it with <see cref="TryRead"/> / <see cref="TryWrite"/>, which clear it on "would block".</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe.</para>
    /// <para><b>Thread safety:</b> any number of tasks may wait at once; all of them wake.</para>
    /// </remarks>
    public ValueTask<ReadyEvent> ReadyAsync(Interest interest, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDisposed();
        return _registration.ReadinessAsync(interest, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <summary>Waits until the socket is readable (data or end of stream). Same as <c>ReadyAsync(Interest.Readable)</c>.</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The readiness seen.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <remarks><para><b>Cancellation:</b> cancel safe.</para></remarks>
    public ValueTask<ReadyEvent> ReadableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        ReadyAsync(Interest.Readable, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Waits until the socket is writable. Same as <c>ReadyAsync(Interest.Writable)</c>.</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The readiness seen.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <remarks><para><b>Cancellation:</b> cancel safe.</para></remarks>
    public ValueTask<ReadyEvent> WritableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        ReadyAsync(Interest.Writable, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Reads what is available now, without waiting.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="bytesRead">The number of bytes read (0 at end of stream) when the method returns true.</param>
    /// <returns>True when the read completed; false when it would block (the readiness is then cleared).</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public bool TryRead(Span<byte> buffer, out int bytesRead)
    {
        ThrowIfDisposed();

        // IoRegistration.TryIo cannot carry a span in its state; this is the same protocol inline.
        if (_registration.TryGetReadiness(Interest.Readable, out ReadyEvent ready))
        {
            int n = _socket.Receive(buffer, SocketFlags.None, out SocketError error);
            if (error == SocketError.Success)
            {
                bytesRead = n;
                return true;
            }

            if (error != SocketError.WouldBlock)
            {
                throw NetErrors.Create(error, "read from", _socket);
            }

            _registration.ClearReadiness(ready);
        }

        bytesRead = 0;
        return false;
    }

    /// <summary>Reads what is available now into several buffers (scatter), without waiting.</summary>
    /// <param name="buffers">Filled in order.</param>
    /// <param name="bytesRead">The total number of bytes read (0 at end of stream) when the method returns true.</param>
    /// <returns>True when the read completed; false when it would block.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="buffers"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public bool TryReadVectored(IList<ArraySegment<byte>> buffers, out int bytesRead)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        ThrowIfDisposed();
        return _registration.TryIo(Interest.Readable, (_socket, buffers), static (state, out n) =>
        {
            n = state._socket.Receive(state.buffers, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return false;
            }

            return error == SocketError.Success ? true : throw NetErrors.Create(error, "read from", state._socket);
        }, out bytesRead);
    }

    /// <summary>Writes what the socket takes now, without waiting.</summary>
    /// <param name="buffer">The bytes to send.</param>
    /// <param name="bytesWritten">The number of bytes written when the method returns true.</param>
    /// <returns>True when the write completed (possibly partially); false when it would block.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public bool TryWrite(ReadOnlySpan<byte> buffer, out int bytesWritten)
    {
        ThrowIfDisposed();
        if (_registration.TryGetReadiness(Interest.Writable, out ReadyEvent ready))
        {
            int n = _socket.Send(buffer, SocketFlags.None, out SocketError error);
            if (error == SocketError.Success)
            {
                bytesWritten = n;
                return true;
            }

            if (error != SocketError.WouldBlock)
            {
                throw NetErrors.Create(error, "write to", _socket);
            }

            _registration.ClearReadiness(ready);
        }

        bytesWritten = 0;
        return false;
    }

    /// <summary>
    /// Shuts down the write direction: the peer reads end of stream once it has read everything sent
    /// before. Reading is unaffected.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="SocketException">The socket is not connected.</exception>
    public void ShutdownWrite()
    {
        ThrowIfDisposed();
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e)
        {
            throw NetErrors.Create(e.SocketErrorCode, "shut down writes to", _socket);
        }
    }

    /// <summary>Borrowed halves over this stream, one per direction, to hand to two tasks.</summary>
    /// <returns>The read half and the write half; they do not own the stream (dispose the stream itself).</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <remarks><para><b>Thread safety:</b> the halves may be used on two tasks at once.</para></remarks>
    public (ReadHalf Reader, WriteHalf Writer) Split()
    {
        ThrowIfDisposed();
        return (new ReadHalf(this), new WriteHalf(this));
    }

    /// <summary>
    /// Moves the stream into two owned halves. Use the halves from now on, not this object; disposing
    /// both closes the socket, and <see cref="TcpStream.Reunite"/> / <see cref="UnixStream.Reunite"/> gives the stream back.
    /// </summary>
    /// <returns>The owned read and write halves.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">The stream is already split.</exception>
    public (OwnedReadHalf Reader, OwnedWriteHalf Writer) IntoSplit()
    {
        ThrowIfDisposed();
        if (Interlocked.CompareExchange(ref _halves, 2, 0) != 0)
        {
            throw new InvalidOperationException("The stream is already split into owned halves; use those, or reunite them first.");
        }

        return (new OwnedReadHalf(this), new OwnedWriteHalf(this));
    }

    /// <summary>
    /// A <see cref="Stream"/> over this socket, for APIs that take one (SslStream, serializers, <see cref="Stream.CopyToAsync(Stream)"/>).
    /// </summary>
    /// <param name="ownsStream">Whether disposing the returned stream disposes this one.</param>
    /// <returns>The view. Only asynchronous reads and writes are supported: synchronous ones would block a
    /// runtime worker and throw <see cref="NotSupportedException"/>. Socket errors surface as
    /// <see cref="IOException"/> with the <see cref="SocketException"/> inside, as with <see cref="NetworkStream"/>.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public Stream AsStream(bool ownsStream = false)
    {
        ThrowIfDisposed();
        return new SocketStreamView(this, ownsStream);
    }

    /// <summary>
    /// System.IO.Pipelines adapters over this socket: <see cref="IDuplexPipe.Input"/> reads from it and
    /// <see cref="IDuplexPipe.Output"/> writes to it (through <see cref="AsStream"/>).
    /// </summary>
    /// <returns>The pipe. Completing its reader or writer does not close the socket: dispose this stream
    /// when both are done (call <see cref="ShutdownWrite"/> first to send end of stream).</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public IDuplexPipe ToDuplexPipe()
    {
        Stream view = AsStream();
        return new StreamDuplexPipe(
            PipeReader.Create(view, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(view, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    /// <summary>
    /// Copies <paramref name="a"/> to <paramref name="b"/> and <paramref name="b"/> to <paramref name="a"/>
    /// at once until both directions reached end of stream (a proxy's inner loop, tokio's <c>copy_bidirectional</c>).
    /// When one side reaches end of stream, the other side's writes are shut down so its peer sees it too.
    /// </summary>
    /// <param name="a">One stream.</param>
    /// <param name="b">The other stream.</param>
    /// <param name="cancellationToken">Stops both directions.</param>
    /// <returns>The bytes copied from <paramref name="a"/> to <paramref name="b"/> and from <paramref name="b"/> to <paramref name="a"/>.</returns>
    /// <exception cref="ArgumentNullException">A stream is null.</exception>
    /// <exception cref="ArgumentException">Both arguments are the same stream.</exception>
    /// <exception cref="SocketException">Either side failed; the other direction is stopped.</exception>
    /// <remarks>
    /// <para>Each direction runs in a spawned Spindle task; the first to fail ends the copy with its error, and the
    /// other is stopped and has finished when this method returns or throws.</para>
    /// <para><b>Cancellation:</b> data read but not yet written is lost; the streams stay open (dispose them).</para>
    /// </remarks>
    public static async ValueTask<(long AToB, long BToA)> CopyBidirectionalAsync(StreamSocket a, StreamSocket b, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (ReferenceEquals(a, b))
        {
            throw new ArgumentException("Copying a stream to itself would read back what it writes; pass two different streams.", nameof(b));
        }

        // Both directions as tasks, taken in completion order: the first failure, whichever side it is on,
        // ends the copy at once (awaiting a->b first hid a b->a failure while a->b still waited for data).
        using var directions = new JoinSet<long>();
        long forward = directions.Spawn(() => CopyOneWayAsync(a, b, cancellationToken), "copy_bidirectional a->b");
        directions.Spawn(() => CopyOneWayAsync(b, a, cancellationToken), "copy_bidirectional b->a");
        long aToB = 0;
        long bToA = 0;
        ExceptionDispatchInfo? failure = null;
        try
        {
            while (await directions.JoinNextAsync(cancellationToken) is { } finished)
            {
                if (!finished.IsSucceeded)
                {
                    failure = ExceptionDispatchInfo.Capture(finished.Exception ?? new OperationCanceledException(cancellationToken));
                    break;
                }

                if (finished.TaskId == forward)
                {
                    aToB = finished.Value;
                }
                else
                {
                    bToA = finished.Value;
                }
            }
        }
        finally
        {
            if (!directions.IsEmpty)
            {
                // Stop the other direction and wait for it to unwind: it no longer touches the streams once this
                // returns, and its own failure (often the same reset seen from the other side) is observed here
                // instead of being reported as an unobserved task failure.
                directions.AbortAll();
                while (await directions.JoinNextAsync(CancellationToken.None) is not null)
                {
                }
            }
        }

        failure?.Throw();
        return (aToB, bToA);
    }

    private static async ValueTask<long> CopyOneWayAsync(StreamSocket from, StreamSocket to, CancellationToken cancellationToken)
    {
        // 8 KiB, tokio's copy buffer size.
        byte[] buffer = new byte[8 * 1024];
        long total = 0;
        while (true)
        {
            int n = await from.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                to.ShutdownWrite();
                return total;
            }

            await to.WriteAllAsync(buffer.AsMemory(0, n), cancellationToken);
            total += n;
        }
    }

    /// <summary>Deregisters the socket, then closes it. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Registration first: its waiters fail with ObjectDisposedException before the descriptor can be reused.
        _registration.Dispose();
        _socket.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Deregisters the socket and hands it back, open, in blocking mode; this object is then disposed.</summary>
    private protected Socket Release()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            throw new ObjectDisposedException(GetType().FullName, "The stream was already disposed or its socket already taken.");
        }

        _registration.Dispose();
        _socket.Blocking = true;
        return _socket;
    }

    /// <summary>Called by each owned half when it is disposed; the last one disposes the stream.</summary>
    internal void ReleaseHalf()
    {
        if (Interlocked.Decrement(ref _halves) == 0)
        {
            Dispose();
        }
    }

    /// <summary>Ends the split: the halves give their references back to the stream.</summary>
    private protected void Rejoin(OwnedReadHalf reader, OwnedWriteHalf writer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(writer);
        if (!ReferenceEquals(reader.Stream, writer.Stream))
        {
            throw new ArgumentException("The halves come from different streams; reunite the two halves of one IntoSplit.", nameof(writer));
        }

        if (!reader.TryDetach())
        {
            throw new ObjectDisposedException(nameof(OwnedReadHalf), "The read half was disposed or already reunited.");
        }

        if (!writer.TryDetach())
        {
            throw new ObjectDisposedException(nameof(OwnedWriteHalf), "The write half was disposed or already reunited.");
        }

        Volatile.Write(ref _halves, 0);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private ValueTask<int> Receive(Memory<byte> buffer, SocketFlags flags, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_receive.IsRunning)
        {
            throw new InvalidOperationException("A read is already in flight on this stream; only one read (or peek) may wait at a time.");
        }

        _receive.Set(buffer, flags);
        return _registration.RunAsync(_receive, cancellationToken, file, line, member);
    }

    private ValueTask<int> Send(ReadOnlyMemory<byte> buffer, bool all, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_send.IsRunning)
        {
            throw new InvalidOperationException("A write is already in flight on this stream; only one write may wait at a time.");
        }

        _send.Set(buffer, all);
        return _registration.RunAsync(_send, cancellationToken, file, line, member);
    }
}
