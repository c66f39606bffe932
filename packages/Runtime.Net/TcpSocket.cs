using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Net.Internal;

namespace Spindle.Net;

/// <summary>
/// A TCP socket not yet connected or listening, to set options before it becomes an
/// <see cref="AsyncTcpListener"/> (<see cref="Listen"/>) or a <see cref="TcpStream"/> (<see cref="ConnectAsync"/>);
/// tokio's <c>TcpSocket</c>.
/// </summary>
/// <remarks>
/// <para><see cref="Listen"/> and <see cref="ConnectAsync"/> hand the socket over: this object is then
/// spent, and its other members throw <see cref="ObjectDisposedException"/>.</para>
/// <para><b>Thread safety:</b> configure it from one thread.</para>
/// <example>
/// <code>
/// using TcpSocket socket = TcpSocket.CreateV4();
/// socket.ReuseAddress = true;
/// socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
/// using AsyncTcpListener listener = socket.Listen(1024);
/// </code>
/// </example>
/// </remarks>
public sealed class TcpSocket : IDisposable
{
    private Socket? _socket;

    private TcpSocket(AddressFamily family) =>
        _socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Whether <c>SO_REUSEADDR</c> is set: bind while old connections on the address linger in TIME_WAIT.
    /// On Linux this is <c>SO_REUSEADDR</c> alone (.NET's own option also sets <c>SO_REUSEPORT</c>).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    public bool ReuseAddress
    {
        get => RawSocketOptions.GetReuseAddress(Socket);
        set => RawSocketOptions.SetReuseAddress(Socket, value);
    }

    /// <summary>Whether <c>SO_REUSEPORT</c> is set (Linux): several sockets bind the same address and the kernel balances connections between them.</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    public bool ReusePort
    {
        get => RawSocketOptions.GetReusePort(Socket);
        set => RawSocketOptions.SetReusePort(Socket, value);
    }

    /// <summary>The send buffer size in bytes (<c>SO_SNDBUF</c>; Linux reports double what was set).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    public int SendBufferSize
    {
        get => Socket.SendBufferSize;
        set => Socket.SendBufferSize = value;
    }

    /// <summary>The receive buffer size in bytes (<c>SO_RCVBUF</c>; Linux reports double what was set).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    public int ReceiveBufferSize
    {
        get => Socket.ReceiveBufferSize;
        set => Socket.ReceiveBufferSize = value;
    }

    /// <summary>Whether TCP keep-alive probes are sent on an idle connection (<c>SO_KEEPALIVE</c>).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    public bool KeepAlive
    {
        get => (int)Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)! != 0;
        set => Socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, value);
    }

    /// <summary>Whether Nagle's algorithm is off (<c>TCP_NODELAY</c>).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    public bool NoDelay
    {
        get => Socket.NoDelay;
        set => Socket.NoDelay = value;
    }

    /// <summary>The bound address, or null before <see cref="Bind"/>.</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    public IPEndPoint? LocalEndPoint => (IPEndPoint?)Socket.LocalEndPoint;

    private Socket Socket => _socket ?? throw new ObjectDisposedException(nameof(TcpSocket), "The TcpSocket was disposed or already turned into a listener or stream.");

    /// <summary>Creates an IPv4 TCP socket.</summary>
    /// <returns>The socket.</returns>
    public static TcpSocket CreateV4() => new(AddressFamily.InterNetwork);

    /// <summary>Creates an IPv6 TCP socket.</summary>
    /// <returns>The socket.</returns>
    public static TcpSocket CreateV6() => new(AddressFamily.InterNetworkV6);

    /// <summary>Binds to a local address.</summary>
    /// <param name="endPoint">The address and port; port 0 picks a free one.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    /// <exception cref="SocketException">The bind failed, e.g. <see cref="SocketError.AddressAlreadyInUse"/>; the message names the address.</exception>
    public void Bind(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        try
        {
            Socket.Bind(endPoint);
        }
        catch (SocketException e)
        {
            throw NetErrors.Create(e.SocketErrorCode, "bind to", endPoint);
        }
    }

    /// <summary>Starts listening and registers the socket with the current runtime.</summary>
    /// <param name="backlog">The length of the queue of connections not yet accepted.</param>
    /// <returns>The listener; it owns the socket from now on.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    /// <exception cref="SocketException">Listening failed.</exception>
    /// <remarks><para>An unbound socket is bound to an ephemeral port on the unspecified address first.</para></remarks>
    public AsyncTcpListener Listen(int backlog)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        Socket socket = Socket;
        EndPoint endPoint = socket.LocalEndPoint ?? new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        AsyncTcpListener listener = AsyncTcpListener.Listen(socket, endPoint, backlog);
        _socket = null;
        return listener;
    }

    /// <summary>Connects to <paramref name="endPoint"/> with the options set so far.</summary>
    /// <param name="endPoint">The address and port to connect to.</param>
    /// <param name="cancellationToken">Abandons the connect; the socket is closed.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The connected stream; it owns the socket from now on.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed or handed over.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    /// <exception cref="SocketException">The connect failed; the message names the address.</exception>
    /// <remarks><para><b>Cancellation:</b> the socket is handed over when the call starts; a cancelled or failed connect closes it.</para></remarks>
    public async ValueTask<TcpStream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Socket socket = Socket;
        _socket = null;
        try
        {
            return await TcpStream.ConnectAsync(socket, endPoint, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Closes the socket unless it was handed over. Idempotent.</summary>
    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
    }
}
