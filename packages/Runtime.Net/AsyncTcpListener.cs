using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;
using Spindle.Net.Internal;

namespace Spindle.Net;

/// <summary>
/// A listening TCP socket on a Spindle runtime (tokio's <c>TcpListener</c>; named so it does not clash
/// with <see cref="System.Net.Sockets.TcpListener"/>).
/// </summary>
/// <remarks>
/// <para>
/// <b>Accept loops and descriptor exhaustion:</b> when the process runs out of file descriptors,
/// <see cref="AcceptAsync"/> throws a <see cref="SocketException"/> with
/// <see cref="SocketError.TooManyOpenSockets"/> (EMFILE/ENFILE). The pending connection stays queued and
/// the listener stays readable; the next accepts first pause on the runtime clock (10 ms, doubling up to
/// 1 s, reset by a successful accept), so even a loop that retries at once sleeps instead of spinning
/// while connections close. Spindle does not clear the readiness on that error, because with
/// edge-triggered epoll the queued connections would then wait for the next new connection to be noticed.
/// </para>
/// <example>
/// <code>
/// using AsyncTcpListener listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 8080));
/// while (true)
/// {
///     TcpStream stream = await listener.AcceptAsync();
///     SpindleTask.Spawn(async () => { using (stream) { /* serve */ } });
/// }
/// </code>
/// </example>
/// <para><b>Thread safety:</b> every member is thread-safe; any number of tasks may accept at once.</para>
/// </remarks>
public sealed class AsyncTcpListener : IDisposable
{
    // 1024: tokio's TcpListener::bind backlog (the kernel caps it at net.core.somaxconn).
    private const int DefaultBacklog = 1024;

    private static readonly IoAttempt<AsyncTcpListener, TcpStream> s_accept = static (listener, out stream) => listener.TryAccept(out stream);

    private readonly Socket _socket;
    private readonly IoRegistration _registration;
    private readonly AcceptBackoff _backoff = new();
    private int _disposed;

    private AsyncTcpListener(Socket socket, IoRegistration registration)
    {
        _socket = socket;
        _registration = registration;
    }

    /// <summary>The address and port the listener is bound to (the actual port when bound to port 0).</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>The IP time-to-live of accepted connections' packets.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    public short Ttl
    {
        get => _socket.Ttl;
        set => _socket.Ttl = value;
    }

    /// <summary>Binds to <paramref name="endPoint"/>, listens, and registers with the current runtime.</summary>
    /// <param name="endPoint">The address and port; port 0 picks a free one (see <see cref="LocalEndPoint"/>).</param>
    /// <param name="backlog">The length of the queue of connections not yet accepted.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    /// <exception cref="SocketException">The bind failed, e.g. <see cref="SocketError.AddressAlreadyInUse"/>; the message names the address.</exception>
    /// <remarks><para>Like tokio, it sets <c>SO_REUSEADDR</c> (alone) on Linux (a restarted server can bind while old connections linger in TIME_WAIT); use <see cref="TcpSocket"/> for other options.</para></remarks>
    public static AsyncTcpListener Bind(IPEndPoint endPoint, int backlog = DefaultBacklog)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (OperatingSystem.IsLinux())
            {
                RawSocketOptions.SetReuseAddress(socket, true);
            }

            return Listen(socket, endPoint, backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Adopts a listening .NET socket: it is made non-blocking and registered with the current runtime.</summary>
    /// <param name="socket">A bound, listening TCP socket; the listener owns it from now on.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException">The socket is not a bound TCP socket.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    public static AsyncTcpListener FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Stream || socket.ProtocolType != ProtocolType.Tcp || !socket.IsBound)
        {
            throw new ArgumentException("AsyncTcpListener.FromSocket takes a bound, listening TCP socket; call Bind and Listen first.", nameof(socket));
        }

        return new AsyncTcpListener(socket, IoRegistration.Register(socket));
    }

    /// <summary>
    /// Waits for the next connection and returns it, registered with the listener's runtime
    /// (its peer is <see cref="TcpStream.RemoteEndPoint"/>).
    /// </summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The accepted connection.</returns>
    /// <exception cref="ObjectDisposedException">The listener was disposed (also while waiting).</exception>
    /// <exception cref="SocketException">The accept failed; <see cref="SocketError.TooManyOpenSockets"/> means back off (see remarks on the type).</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a cancelled accept took no connection; it stays queued for the next accept.</para>
    /// <para><b>Thread safety:</b> any number of tasks may await it at once; each connection goes to exactly one of them.</para>
    /// </remarks>
    public ValueTask<TcpStream> AcceptAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ThrowIfDisposed();
        if (_backoff.TryGetPause(out Time.Instant until))
        {
            // Out of descriptors last time: pause on the runtime clock instead of letting a retry loop spin.
            return AcceptBackoff.AfterPauseAsync(until, ct => SharedIo.RunAsync(_registration, Interest.Readable, this, s_accept, callerFilePath, callerLineNumber, callerMemberName, ct), cancellationToken);
        }

        return SharedIo.RunAsync(_registration, Interest.Readable, this, s_accept, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Deregisters the socket from the runtime and hands it back, open, listening and in blocking mode.</summary>
    /// <returns>The socket; the caller owns it. This listener is disposed.</returns>
    /// <exception cref="ObjectDisposedException">The listener was disposed or its socket already taken.</exception>
    public Socket IntoSocket()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            throw new ObjectDisposedException(nameof(AsyncTcpListener), "The listener was already disposed or its socket already taken.");
        }

        _registration.Dispose();
        _socket.Blocking = true;
        return _socket;
    }

    /// <summary>Deregisters the socket (pending accepts fail with <see cref="ObjectDisposedException"/>), then closes it. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _registration.Dispose();
        _socket.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        try
        {
            return $"AsyncTcpListener {_socket.LocalEndPoint}";
        }
        catch (ObjectDisposedException)
        {
            return "AsyncTcpListener (disposed)";
        }
    }

    internal static AsyncTcpListener Listen(Socket socket, EndPoint endPoint, int backlog)
    {
        try
        {
            if (!socket.IsBound)
            {
                socket.Bind(endPoint);
            }

            socket.Listen(backlog);
        }
        catch (SocketException e)
        {
            throw NetErrors.Create(e.SocketErrorCode, "bind to", endPoint);
        }

        return new AsyncTcpListener(socket, IoRegistration.Register(socket));
    }

    private bool TryAccept(out TcpStream stream)
    {
        if (!_backoff.TryAccept(_socket, out Socket accepted))
        {
            stream = null!;
            return false;
        }

        stream = TcpStream.Adopt(accepted, _registration.Runtime);
        return true;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
