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
/// A TCP connection on a Spindle runtime (tokio's <c>TcpStream</c>): from <c>ConnectAsync</c>,
/// <see cref="AsyncTcpListener.AcceptAsync"/>, <see cref="TcpSocket.ConnectAsync"/> or <see cref="FromSocket"/>.
/// Reads, writes, readiness, halves and the <see cref="System.IO.Stream"/> view come from <see cref="StreamSocket"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Connect timeout:</b> wrap the connect in <c>Time.TimeoutAsync</c>; the timeout cancels the
/// token and the half-open socket is closed:
/// </para>
/// <code>
/// TcpStream stream = await Time.TimeoutAsync(TimeSpan.FromSeconds(5), ct => TcpStream.ConnectAsync(endPoint, ct));
/// </code>
/// <para><b>Thread safety:</b> see <see cref="StreamSocket"/>.</para>
/// </remarks>
#pragma warning disable CA1711 // tokio's name; it is a byte stream, not a System.IO.Stream (see AsStream).
public sealed class TcpStream : StreamSocket
#pragma warning restore CA1711
{
    private IPEndPoint? _remoteEndPoint;

    internal TcpStream(Socket socket, IoRegistration registration)
        : base(socket, registration)
    {
        // Taken now: once both directions are shut down the kernel no longer reports the peer (ENOTCONN),
        // and a server still wants to log whom it talked to.
        try
        {
            _remoteEndPoint = (IPEndPoint?)socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            // Already reset: RemoteEndPoint asks again and reports the error.
        }
    }

    /// <summary>The local address and port.</summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public IPEndPoint LocalEndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    /// <summary>The peer's address and port (remembered from when the connection was established).</summary>
    /// <exception cref="SocketException">The connection was reset before its peer could be read.</exception>
    public IPEndPoint RemoteEndPoint => _remoteEndPoint ??= (IPEndPoint)Socket.RemoteEndPoint!;

    /// <summary>Whether Nagle's algorithm is off (<c>TCP_NODELAY</c>): small writes go out at once.</summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public bool NoDelay
    {
        get => Socket.NoDelay;
        set => Socket.NoDelay = value;
    }

    /// <summary>
    /// <c>SO_LINGER</c>. <c>new LingerOption(true, 0)</c> makes <see cref="StreamSocket.Dispose"/> reset the connection
    /// (the peer's reads fail with <see cref="SocketError.ConnectionReset"/>) instead of closing it gracefully.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public LingerOption Linger
    {
        get => Socket.LingerState!;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Socket.LingerState = value;
        }
    }

    /// <summary>The IP time-to-live of outgoing packets.</summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public short Ttl
    {
        get => Socket.Ttl;
        set => Socket.Ttl = value;
    }

    /// <summary>Connects to <paramref name="endPoint"/> without blocking a worker.</summary>
    /// <param name="endPoint">The address and port to connect to.</param>
    /// <param name="cancellationToken">Abandons the connect; the half-open socket is closed.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The connected stream, registered with the current runtime.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    /// <exception cref="SocketException">The connect failed (e.g. <see cref="SocketError.ConnectionRefused"/>); the message names the address.</exception>
    /// <remarks><para><b>Cancellation:</b> a cancelled connect leaves nothing open. For a timeout use <c>Time.TimeoutAsync</c> (see the type's remarks).</para></remarks>
    public static async ValueTask<TcpStream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            return await ConnectAsync(socket, endPoint, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects to <paramref name="address"/>:<paramref name="port"/> without blocking a worker.</summary>
    /// <param name="address">The address.</param>
    /// <param name="port">The port.</param>
    /// <param name="cancellationToken">Abandons the connect; the half-open socket is closed.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The connected stream, registered with the current runtime.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not a valid port.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    /// <exception cref="SocketException">The connect failed; the message names the address.</exception>
    /// <remarks><para><b>Cancellation:</b> a cancelled connect leaves nothing open.</para></remarks>
    public static ValueTask<TcpStream> ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        return ConnectAsync(new IPEndPoint(address, port), cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }

    /// <summary>Adopts a connected .NET TCP socket: it is made non-blocking and registered with the current runtime.</summary>
    /// <param name="socket">A connected stream socket; the stream owns it from now on.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException">The socket is not a connected TCP socket.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    public static TcpStream FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Stream || socket.ProtocolType != ProtocolType.Tcp || !socket.Connected)
        {
            throw new ArgumentException("TcpStream.FromSocket takes a connected TCP socket; connect it first, or use TcpStream.ConnectAsync.", nameof(socket));
        }

        return new TcpStream(socket, IoRegistration.Register(socket));
    }

    /// <summary>
    /// Puts the owned halves of one <see cref="StreamSocket.IntoSplit"/> back together.
    /// </summary>
    /// <param name="reader">The read half.</param>
    /// <param name="writer">The write half of the same stream.</param>
    /// <returns>The stream; the halves can no longer be used.</returns>
    /// <exception cref="ArgumentNullException">A half is null.</exception>
    /// <exception cref="ArgumentException">The halves come from different streams, or not from a TCP stream.</exception>
    /// <exception cref="ObjectDisposedException">A half was disposed.</exception>
    public static TcpStream Reunite(OwnedReadHalf reader, OwnedWriteHalf writer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.Stream is not TcpStream stream)
        {
            throw new ArgumentException("The halves come from a UnixStream; use UnixStream.Reunite.", nameof(reader));
        }

        stream.Rejoin(reader, writer);
        return stream;
    }

    /// <summary>Deregisters the socket from the runtime and hands it back, open and in blocking mode.</summary>
    /// <returns>The socket; the caller owns it. This stream is disposed.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed or its socket already taken.</exception>
    /// <remarks><para>Do not call it while a read or write is in flight: those fail with <see cref="ObjectDisposedException"/>.</para></remarks>
    public Socket IntoSocket() => Release();

    internal static TcpStream Adopt(Socket socket, RuntimeHandle runtime)
    {
        try
        {
            return new TcpStream(socket, IoRegistration.Register(socket, runtime));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static async ValueTask<TcpStream> ConnectAsync(Socket socket, IPEndPoint endPoint,
        string? file, int line, string? member, CancellationToken cancellationToken)
    {
        IoRegistration registration = await SocketConnect.ConnectAsync(socket, endPoint, RuntimeHandle.Current, file, line, member, cancellationToken);
        return new TcpStream(socket, registration);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        try
        {
            return $"TcpStream {Socket.LocalEndPoint} -> {Socket.RemoteEndPoint}";
        }
        catch (ObjectDisposedException)
        {
            return "TcpStream (disposed)";
        }
    }
}
