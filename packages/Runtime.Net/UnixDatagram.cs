using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;
using Spindle.Net.Interop.Linux;
using Spindle.Net.Internal;

namespace Spindle.Net;

/// <summary>
/// A Unix domain datagram socket on the Spindle I/O driver (tokio's <c>UnixDatagram</c>): bound to a
/// path, to an abstract name, unbound, or one end of a connected <see cref="Pair"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Paths:</b> a path is a file-system path, or on Linux an abstract name when it starts with
/// <c>'@'</c> or <c>'\0'</c> (<c>"@app.sock"</c>): abstract names live in the network namespace,
/// need no file and vanish with the last socket. Paths are reported back in the <c>'@'</c> form.
/// </para>
/// <para>
/// <b>Socket files:</b> <see cref="Dispose"/> deletes the file this socket created with
/// <see cref="Bind(string)"/>, as .NET's <see cref="Socket"/> does, so a process that disposes its
/// sockets leaves no stale files; a file left by a crashed process still makes <see cref="Bind(string)"/>
/// fail with <see cref="SocketError.AddressAlreadyInUse"/>, and deleting it then is the caller's decision.
/// <see cref="IntoSocket"/> hands that duty to the returned <see cref="Socket"/>.
/// </para>
/// <para>
/// <b>Shared access:</b> every operation may be awaited from many tasks at once (DESIGN.md §5); each
/// datagram goes whole to exactly one receiver. A datagram larger than the receive buffer is truncated
/// to the buffer and the rest is discarded.
/// </para>
/// <para>
/// <b>Errors:</b> OS errors surface as <see cref="SocketException"/> carrying the OS error, with a
/// message naming the operation and the path.
/// </para>
/// <para><b>Thread safety:</b> every member is safe to call from any thread and from many tasks at once.</para>
/// </remarks>
/// <example>
/// <code>
/// (UnixDatagram a, UnixDatagram b) = UnixDatagram.Pair();
/// await a.SendAsync("ping"u8.ToArray());
/// int n = await b.ReceiveAsync(buffer);
/// </code>
/// </example>
[SupportedOSPlatform("linux")]
public sealed class UnixDatagram : IDisposable
{
    // Only its Create(SocketAddress) is used, to decode received addresses.
    private static readonly UnixDomainSocketEndPoint s_template = new("/");

    private readonly DatagramSocket _core;

    private UnixDatagram(Socket socket, RuntimeHandle runtime) => _core = DatagramSocket.Register(socket, runtime, this);

    /// <summary>Creates a socket bound to <paramref name="path"/> on the current runtime.</summary>
    /// <param name="path">A file path, or an abstract name starting with <c>'@'</c> or <c>'\0'</c>.</param>
    /// <returns>The bound socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long for a Unix socket address.</exception>
    /// <exception cref="SocketException">The bind failed (for example <see cref="SocketError.AddressAlreadyInUse"/> when the file exists).</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or the runtime has no I/O driver.</exception>
    public static UnixDatagram Bind(string path) => Bind(path, RuntimeHandle.Current);

    /// <summary>Creates a socket bound to <paramref name="path"/> on <paramref name="runtime"/>.</summary>
    /// <param name="path">A file path, or an abstract name starting with <c>'@'</c> or <c>'\0'</c>.</param>
    /// <param name="runtime">The runtime whose I/O driver watches the socket.</param>
    /// <returns>The bound socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long for a Unix socket address.</exception>
    /// <exception cref="SocketException">The bind failed (for example <see cref="SocketError.AddressAlreadyInUse"/> when the file exists).</exception>
    /// <exception cref="InvalidOperationException">The runtime has no I/O driver.</exception>
    public static UnixDatagram Bind(string path, RuntimeHandle runtime)
    {
        UnixDomainSocketEndPoint endPoint = UnixPaths.ToEndPoint(path, nameof(path));
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            try
            {
                socket.Bind(endPoint);
            }
            catch (SocketException e)
            {
                throw NetErrors.Create(e.SocketErrorCode, "bind", endPoint);
            }

            return new UnixDatagram(socket, runtime);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Creates an unbound socket on the current runtime: it can send, and receive replies only after <see cref="Connect"/>ing or from a pair.</summary>
    /// <returns>The socket.</returns>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or the runtime has no I/O driver.</exception>
    public static UnixDatagram Unbound()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            return new UnixDatagram(socket, RuntimeHandle.Current);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Creates two unnamed sockets connected to each other (<c>socketpair</c>), on the current runtime.</summary>
    /// <returns>The two ends.</returns>
    /// <exception cref="SocketException">The OS refused (for example too many open files).</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or the runtime has no I/O driver.</exception>
    public static (UnixDatagram First, UnixDatagram Second) Pair()
    {
        RuntimeHandle runtime = RuntimeHandle.Current;
        int[] fds = new int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, fds) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            SocketError error = errno switch
            {
                Libc.EMFILE or Libc.ENFILE => SocketError.TooManyOpenSockets,
                Libc.ENOBUFS or Libc.ENOMEM => SocketError.NoBufferSpaceAvailable,
                _ => SocketError.SocketError,
            };
            throw NetErrors.Create(error, $"socketpair (errno {errno})");
        }

        // The handles own the descriptors from here on, so every failure below closes both.
        var first = new Socket(new SafeSocketHandle(fds[0], ownsHandle: true));
        var second = new Socket(new SafeSocketHandle(fds[1], ownsHandle: true));
        UnixDatagram? a = null;
        try
        {
            a = new UnixDatagram(first, runtime);
            return (a, new UnixDatagram(second, runtime));
        }
        catch
        {
            if (a is null)
            {
                first.Dispose();
            }
            else
            {
                a.Dispose();
            }

            second.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an existing Unix datagram <see cref="Socket"/> (for gradual adoption) and registers it with the current runtime.</summary>
    /// <param name="socket">A Unix domain datagram socket. Ownership passes to the new <see cref="UnixDatagram"/>
    /// on success; it is made non-blocking. On failure the caller still owns it.</param>
    /// <returns>The wrapper.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="socket"/> is not a Unix domain datagram socket.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="socket"/> is closed.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or the runtime has no I/O driver.</exception>
    public static UnixDatagram FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Dgram)
        {
            throw new ArgumentException($"Expected a Unix domain datagram socket, got a {socket.AddressFamily} {socket.SocketType} socket.", nameof(socket));
        }

        return new UnixDatagram(socket, RuntimeHandle.Current);
    }

    /// <summary>Deregisters the socket from the runtime and hands it back, leaving this object disposed.</summary>
    /// <returns>The underlying socket, still open and non-blocking (set <see cref="Socket.Blocking"/> if you need blocking calls).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed or already handed back.</exception>
    public Socket IntoSocket() => _core.Detach();

    /// <summary>Gets the path the socket is bound to (abstract names in the <c>'@'</c> form), or null when it is unnamed.</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public string? LocalPath => _core.Call(static s => FromEndPoint(s.LocalEndPoint), "get local path of");

    /// <summary>Gets the path of the connected peer, or null when not connected or the peer is unnamed.</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public string? PeerPath => _core.Call(static s => s.Connected ? FromEndPoint(s.RemoteEndPoint) : null, "get peer path of");

    /// <summary>Sets the default peer: <see cref="SendAsync"/> sends there and the socket then only receives from it. Does no I/O.</summary>
    /// <param name="path">The peer's path or abstract name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">No socket is bound there (<see cref="SocketError.AddressNotAvailable"/> or <see cref="SocketError.ConnectionRefused"/>), or another OS error.</exception>
    public void Connect(string path)
    {
        UnixDomainSocketEndPoint endPoint = UnixPaths.ToEndPoint(path, nameof(path));
        _core.Call(s => s.Connect(endPoint), "connect to", endPoint);
    }

    /// <summary>Sends one datagram to the connected peer.</summary>
    /// <param name="buffer">The datagram; it must stay unchanged until the send completes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes sent (the whole datagram).</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">Not connected, the peer is gone, or another OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a send cancelled while waiting (the peer's queue was full) sent nothing.</para>
    /// <para><b>Thread safety:</b> many tasks may send at once.</para>
    /// </remarks>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _core.SendAsync(buffer, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Receives one datagram.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes copied (a datagram longer than the buffer is truncated).</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">An OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a receive cancelled (token or task abort) while waiting took no datagram.</para>
    /// <para><b>Thread safety:</b> many tasks may receive at once; each datagram goes to one of them.</para>
    /// </remarks>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _core.ReceiveAsync(buffer, SocketFlags.None, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Sends one datagram to the socket bound at <paramref name="path"/>.</summary>
    /// <param name="buffer">The datagram; it must stay unchanged until the send completes.</param>
    /// <param name="path">The destination's path or abstract name.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes sent (the whole datagram).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long.</exception>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">No socket is bound there, or another OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a send cancelled while waiting sent nothing.</para>
    /// <para><b>Thread safety:</b> many tasks may send at once.</para>
    /// </remarks>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, string path, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _core.SendToAsync(buffer, UnixPaths.ToEndPoint(path, nameof(path)), callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Receives one datagram and the sender's path.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes copied (a longer datagram is truncated) and the sender's path (null when the sender is unnamed).</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">An OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a receive cancelled (token or task abort) while waiting took no datagram.</para>
    /// <para><b>Thread safety:</b> many tasks may receive at once; each datagram goes to one of them.</para>
    /// </remarks>
    public ValueTask<UnixDatagramReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ValueTask<(int Count, SocketAddress Remote)> receive = _core.ReceiveFromAsync(buffer, SocketFlags.None, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
        return receive.IsCompletedSuccessfully ? new ValueTask<UnixDatagramReceiveFromResult>(Result(receive.Result)) : AwaitResult(receive);

        static async ValueTask<UnixDatagramReceiveFromResult> AwaitResult(ValueTask<(int Count, SocketAddress Remote)> receive) => Result(await receive.ConfigureAwait(false));
    }

    /// <summary>
    /// Waits until the socket is ready for <paramref name="interest"/>, for use with the <c>Try*</c> forms,
    /// which clear the readiness when they find it stale.
    /// </summary>
    /// <param name="interest">What to wait for; several flags wait for any of them.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The readiness seen. It may be <see cref="Ready.None"/> when another task cleared it first: try the operation anyway.</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe; a cancelled wait consumes nothing.</para>
    /// <para><b>Thread safety:</b> any number of tasks may wait at once.</para>
    /// </remarks>
    public ValueTask<Ready> ReadyAsync(Interest interest, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _core.ReadyAsync(interest, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Sends one datagram to the connected peer if that can be done without waiting.</summary>
    /// <param name="buffer">The datagram.</param>
    /// <param name="count">The number of bytes sent.</param>
    /// <returns>True when sent; false when the socket is not writable now (the readiness is cleared).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TrySend(ReadOnlySpan<byte> buffer, out int count) => _core.TrySend(buffer, out count);

    /// <summary>Receives one datagram if one is queued; never waits.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="count">The number of bytes copied (a longer datagram is truncated).</param>
    /// <returns>True when a datagram was received; false when none is queued (the readiness is cleared).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TryReceive(Span<byte> buffer, out int count) => _core.TryReceive(buffer, SocketFlags.None, out count);

    /// <summary>Sends one datagram to <paramref name="path"/> if that can be done without waiting.</summary>
    /// <param name="buffer">The datagram.</param>
    /// <param name="path">The destination's path or abstract name.</param>
    /// <param name="count">The number of bytes sent.</param>
    /// <returns>True when sent; false when the socket is not writable now (the readiness is cleared).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TrySendTo(ReadOnlySpan<byte> buffer, string path, out int count) => _core.TrySendTo(buffer, UnixPaths.ToEndPoint(path, nameof(path)), out count);

    /// <summary>Receives one datagram and its sender's path if one is queued; never waits.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="result">The number of bytes copied and the sender, when received.</param>
    /// <returns>True when a datagram was received; false when none is queued (the readiness is cleared).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TryReceiveFrom(Span<byte> buffer, out UnixDatagramReceiveFromResult result)
    {
        bool done = _core.TryReceiveFrom(buffer, SocketFlags.None, out int count, out SocketAddress remote);
        result = done ? Result((count, remote)) : default;
        return done;
    }

    /// <summary>
    /// Deregisters the socket and closes it; pending operations fail with <see cref="ObjectDisposedException"/>.
    /// Deletes the socket file this object bound (see the type's remarks). Idempotent.
    /// </summary>
    public void Dispose() => _core.Close();

    /// <inheritdoc/>
    public override string ToString() => $"UnixDatagram({_core.Registration})";

    private static UnixDatagramReceiveFromResult Result((int Count, SocketAddress Remote) r) =>
        // An unnamed sender's address is the family alone (sizeof(sa_family_t) bytes).
        new(r.Count, r.Remote.Size <= sizeof(ushort) ? null : FromEndPoint(s_template.Create(r.Remote)));

    private static string? FromEndPoint(EndPoint? endPoint)
    {
        string? path = endPoint?.ToString();
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        return path[0] == '\0' ? string.Concat("@", path.AsSpan(1)) : path;
    }
}
