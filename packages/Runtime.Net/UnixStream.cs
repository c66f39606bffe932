using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;
using Spindle.Net.Internal;

namespace Spindle.Net;

/// <summary>
/// A connected Unix domain stream socket on a Spindle runtime (tokio's <c>UnixStream</c>): from
/// <see cref="ConnectAsync"/> or <see cref="UnixListener.AcceptAsync"/>. Reads, writes, readiness,
/// halves and the <see cref="System.IO.Stream"/> view come from <see cref="StreamSocket"/>.
/// </summary>
/// <remarks>
/// <para>Paths starting with <c>'\0'</c> or <c>'@'</c> name Linux abstract sockets (no file).</para>
/// <para><b>Thread safety:</b> see <see cref="StreamSocket"/>.</para>
/// </remarks>
#pragma warning disable CA1711 // tokio's name; it is a byte stream, not a System.IO.Stream (see AsStream).
public sealed partial class UnixStream : StreamSocket
#pragma warning restore CA1711
{
    internal UnixStream(Socket socket, IoRegistration registration)
        : base(socket, registration)
    {
    }

    /// <summary>The local address (often unnamed for a connecting socket).</summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public UnixDomainSocketEndPoint? LocalEndPoint => Socket.LocalEndPoint as UnixDomainSocketEndPoint;

    /// <summary>The peer's address (often unnamed for an accepted socket).</summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public UnixDomainSocketEndPoint? RemoteEndPoint => Socket.RemoteEndPoint as UnixDomainSocketEndPoint;

    /// <summary>Connects to the Unix socket at <paramref name="path"/> without blocking a worker.</summary>
    /// <param name="path">A filesystem path, or an abstract name starting with <c>'\0'</c> or <c>'@'</c> (Linux).</param>
    /// <param name="cancellationToken">Abandons the connect; the socket is closed.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The connected stream, registered with the current runtime.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    /// <exception cref="SocketException">The connect failed (nobody listening: <see cref="SocketError.ConnectionRefused"/>,
    /// no such file: <see cref="SocketError.AddressNotAvailable"/>); the message names the path.</exception>
    /// <remarks><para><b>Cancellation:</b> a cancelled connect leaves nothing open.</para></remarks>
    public static async ValueTask<UnixStream> ConnectAsync(string path, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        UnixDomainSocketEndPoint endPoint = UnixPaths.ToEndPoint(path, nameof(path));
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            IoRegistration registration = await SocketConnect.ConnectAsync(socket, endPoint, RuntimeHandle.Current,
                callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
            return new UnixStream(socket, registration);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Adopts a connected .NET Unix stream socket: it is made non-blocking and registered with the current runtime.</summary>
    /// <param name="socket">A connected Unix stream socket; the stream owns it from now on.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException">The socket is not a connected Unix stream socket.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    public static UnixStream FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream || !socket.Connected)
        {
            throw new ArgumentException("UnixStream.FromSocket takes a connected Unix stream socket; connect it first, or use UnixStream.ConnectAsync.", nameof(socket));
        }

        return new UnixStream(socket, IoRegistration.Register(socket));
    }

    /// <summary>Puts the owned halves of one <see cref="StreamSocket.IntoSplit"/> back together.</summary>
    /// <param name="reader">The read half.</param>
    /// <param name="writer">The write half of the same stream.</param>
    /// <returns>The stream; the halves can no longer be used.</returns>
    /// <exception cref="ArgumentNullException">A half is null.</exception>
    /// <exception cref="ArgumentException">The halves come from different streams, or not from a Unix stream.</exception>
    /// <exception cref="ObjectDisposedException">A half was disposed.</exception>
    public static UnixStream Reunite(OwnedReadHalf reader, OwnedWriteHalf writer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.Stream is not UnixStream stream)
        {
            throw new ArgumentException("The halves come from a TcpStream; use TcpStream.Reunite.", nameof(reader));
        }

        stream.Rejoin(reader, writer);
        return stream;
    }

    /// <summary>Deregisters the socket from the runtime and hands it back, open and in blocking mode.</summary>
    /// <returns>The socket; the caller owns it. This stream is disposed.</returns>
    /// <exception cref="ObjectDisposedException">The stream was disposed or its socket already taken.</exception>
    public Socket IntoSocket() => Release();

    /// <inheritdoc/>
    public override string ToString() => "UnixStream";

    internal static UnixStream Adopt(Socket socket, RuntimeHandle runtime)
    {
        try
        {
            return new UnixStream(socket, IoRegistration.Register(socket, runtime));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
