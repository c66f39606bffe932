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
/// A UDP socket on the Spindle I/O driver (tokio's <c>UdpSocket</c>): send and receive datagrams,
/// to and from any address or, after <see cref="Connect"/>, to and from one peer.
/// </summary>
/// <remarks>
/// <para>
/// <b>Shared access:</b> every operation may be awaited from many tasks at once (DESIGN.md §5).
/// Each datagram is delivered whole to exactly one receiver; concurrent senders never interleave
/// within a datagram. There is no split into halves because none is needed.
/// </para>
/// <para>
/// <b>Datagram size:</b> a datagram larger than the receive buffer is truncated to the buffer and
/// the rest is discarded (as with <c>recvfrom</c> on Linux); the count returned is what was copied.
/// Use a 65,507-byte buffer (IPv4 maximum payload) when sizes are unknown.
/// </para>
/// <para>
/// <b>Errors:</b> OS errors surface as <see cref="SocketException"/> whose <see cref="SocketException.SocketErrorCode"/>
/// is the OS error and whose message names the operation and the address. A connected socket may
/// report <see cref="SocketError.ConnectionRefused"/> on a later receive after the peer's port
/// answered with ICMP "port unreachable".
/// </para>
/// <para>
/// <b>Lifetime:</b> <see cref="Dispose"/> deregisters the socket (pending operations fail with
/// <see cref="ObjectDisposedException"/>) and then closes it. <see cref="IntoSocket"/> hands the
/// underlying <see cref="Socket"/> back instead.
/// </para>
/// <para><b>Thread safety:</b> every member is safe to call from any thread and from many tasks at once.</para>
/// </remarks>
/// <example>
/// <code>
/// using UdpSocket socket = UdpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
/// byte[] buffer = new byte[65507];
/// while (true)
/// {
///     UdpReceiveFromResult received = await socket.ReceiveFromAsync(buffer);
///     await socket.SendToAsync(buffer.AsMemory(0, received.Count), received.RemoteEndPoint);
/// }
/// </code>
/// </example>
public sealed class UdpSocket : IDisposable
{
    private readonly DatagramSocket _core;
    private readonly IPEndPoint _template;

    private UdpSocket(Socket socket, RuntimeHandle runtime)
    {
        _core = DatagramSocket.Register(socket, runtime, this);
        _template = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <summary>Creates a UDP socket bound to <paramref name="localEndPoint"/> on the current runtime.</summary>
    /// <param name="localEndPoint">The local address; port 0 picks a free port (see <see cref="LocalEndPoint"/>).</param>
    /// <returns>The bound socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="localEndPoint"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="localEndPoint"/> is neither IPv4 nor IPv6.</exception>
    /// <exception cref="SocketException">The bind failed (for example <see cref="SocketError.AddressAlreadyInUse"/>).</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or the runtime has no I/O driver.</exception>
    public static UdpSocket Bind(IPEndPoint localEndPoint) => Bind(localEndPoint, RuntimeHandle.Current);

    /// <summary>Creates a UDP socket bound to <paramref name="localEndPoint"/> on <paramref name="runtime"/>.</summary>
    /// <param name="localEndPoint">The local address; port 0 picks a free port (see <see cref="LocalEndPoint"/>).</param>
    /// <param name="runtime">The runtime whose I/O driver watches the socket.</param>
    /// <returns>The bound socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="localEndPoint"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="localEndPoint"/> is neither IPv4 nor IPv6.</exception>
    /// <exception cref="SocketException">The bind failed (for example <see cref="SocketError.AddressAlreadyInUse"/>).</exception>
    /// <exception cref="InvalidOperationException">The runtime has no I/O driver.</exception>
    public static UdpSocket Bind(IPEndPoint localEndPoint, RuntimeHandle runtime)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        CheckFamily(localEndPoint.AddressFamily, nameof(localEndPoint));
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            try
            {
                socket.Bind(localEndPoint);
            }
            catch (SocketException e)
            {
                throw NetErrors.Create(e.SocketErrorCode, "bind", localEndPoint);
            }

            return new UdpSocket(socket, runtime);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an existing UDP <see cref="Socket"/> (for gradual adoption) and registers it with the current runtime.</summary>
    /// <param name="socket">An IPv4 or IPv6 datagram socket, bound or not. Ownership passes to the new
    /// <see cref="UdpSocket"/> on success; it is made non-blocking. On failure the caller still owns it.</param>
    /// <returns>The wrapper.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="socket"/> is not an IPv4/IPv6 datagram socket.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="socket"/> is closed.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or the runtime has no I/O driver.</exception>
    public static UdpSocket FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Dgram)
        {
            throw new ArgumentException($"Expected a datagram socket, got a {socket.SocketType} socket.", nameof(socket));
        }

        CheckFamily(socket.AddressFamily, nameof(socket));
        return new UdpSocket(socket, RuntimeHandle.Current);
    }

    /// <summary>Deregisters the socket from the runtime and hands it back, leaving this object disposed.</summary>
    /// <returns>The underlying socket, still open, bound and connected as it was, and non-blocking
    /// (set <see cref="Socket.Blocking"/> if you need blocking calls).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed or already handed back.</exception>
    /// <remarks><para><b>Thread safety:</b> pending operations on this object fail with <see cref="ObjectDisposedException"/>.</para></remarks>
    public Socket IntoSocket() => _core.Detach();

    /// <summary>Gets the local address the socket is bound to (after a send, the one the OS picked).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket came from <see cref="FromSocket"/> unbound and has not sent yet.</exception>
    public IPEndPoint LocalEndPoint => _core.Call(static s => (IPEndPoint?)s.LocalEndPoint
        ?? throw new InvalidOperationException("The UDP socket is not bound yet: bind the Socket before FromSocket, or send a datagram first."), "get local address of");

    /// <summary>Gets the peer set by <see cref="Connect"/>, or null when the socket is not connected.</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public IPEndPoint? PeerEndPoint => _core.Call(static s => (IPEndPoint?)s.RemoteEndPoint, "get peer address of");

    /// <summary>Gets or sets whether datagrams may be sent to broadcast addresses (<c>SO_BROADCAST</c>).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS rejected the option.</exception>
    public bool Broadcast
    {
        get => _core.Call(static s => s.EnableBroadcast, "get SO_BROADCAST on");
        set => _core.Call(s => s.EnableBroadcast = value, "set SO_BROADCAST on");
    }

    /// <summary>Gets or sets the time-to-live of unicast datagrams (<c>IP_TTL</c> / <c>IPV6_UNICAST_HOPS</c>), 0 to 255.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0..255.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS rejected the option.</exception>
    public int Ttl
    {
        get => _core.Call(static s => (int)s.Ttl, "get TTL on");
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 255);
            _core.Call(s => s.Ttl = (short)value, "set TTL on");
        }
    }

    /// <summary>Gets or sets the time-to-live of IPv4 multicast datagrams (<c>IP_MULTICAST_TTL</c>), 0 to 255; 1 keeps them on the local network.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0..255.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS rejected the option (for example on an IPv6 socket).</exception>
    public int MulticastTtlV4
    {
        get => _core.Call(static s => (int)s.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive)!, "get IP_MULTICAST_TTL on");
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 255);
            _core.Call(s => s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, value), "set IP_MULTICAST_TTL on");
        }
    }

    /// <summary>Gets or sets whether IPv4 multicast datagrams this socket sends are looped back to local members (<c>IP_MULTICAST_LOOP</c>).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS rejected the option (for example on an IPv6 socket).</exception>
    public bool MulticastLoopV4
    {
        get => _core.Call(static s => (int)s.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback)! != 0, "get IP_MULTICAST_LOOP on");
        set => _core.Call(s => s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, value), "set IP_MULTICAST_LOOP on");
    }

    /// <summary>Gets or sets whether IPv6 multicast datagrams this socket sends are looped back to local members (<c>IPV6_MULTICAST_LOOP</c>).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS rejected the option (for example on an IPv4 socket).</exception>
    public bool MulticastLoopV6
    {
        get => _core.Call(static s => (int)s.GetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback)! != 0, "get IPV6_MULTICAST_LOOP on");
        set => _core.Call(s => s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, value), "set IPV6_MULTICAST_LOOP on");
    }

    /// <summary>Joins the IPv4 multicast group <paramref name="group"/> on the interface with address <paramref name="localInterface"/>.</summary>
    /// <param name="group">The group, in 224.0.0.0/4.</param>
    /// <param name="localInterface">The address of the interface to join on; <see cref="IPAddress.Any"/> lets the OS choose.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">An address is not IPv4.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS refused (for example no route to the group, or an IPv6 socket).</exception>
    public void JoinMulticastV4(IPAddress group, IPAddress localInterface) =>
        _core.Call(s => s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, MulticastV4(group, localInterface)),
            "join multicast group", new IPEndPoint(group, 0));

    /// <summary>Leaves an IPv4 multicast group joined with <see cref="JoinMulticastV4"/>.</summary>
    /// <param name="group">The group.</param>
    /// <param name="localInterface">The interface address used to join.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">An address is not IPv4.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS refused (for example the group was not joined).</exception>
    public void LeaveMulticastV4(IPAddress group, IPAddress localInterface) =>
        _core.Call(s => s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.DropMembership, MulticastV4(group, localInterface)),
            "leave multicast group", new IPEndPoint(group, 0));

    /// <summary>Joins the IPv6 multicast group <paramref name="group"/> on the interface <paramref name="interfaceIndex"/>.</summary>
    /// <param name="group">The group, in ff00::/8.</param>
    /// <param name="interfaceIndex">The interface index; 0 lets the OS choose.</param>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not IPv6.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interfaceIndex"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS refused (for example an IPv4 socket).</exception>
    public void JoinMulticastV6(IPAddress group, int interfaceIndex) =>
        _core.Call(s => s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, MulticastV6(group, interfaceIndex)),
            "join multicast group", new IPEndPoint(group, 0));

    /// <summary>Leaves an IPv6 multicast group joined with <see cref="JoinMulticastV6"/>.</summary>
    /// <param name="group">The group.</param>
    /// <param name="interfaceIndex">The interface index used to join.</param>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not IPv6.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interfaceIndex"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS refused (for example the group was not joined).</exception>
    public void LeaveMulticastV6(IPAddress group, int interfaceIndex) =>
        _core.Call(s => s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.DropMembership, MulticastV6(group, interfaceIndex)),
            "leave multicast group", new IPEndPoint(group, 0));

    /// <summary>
    /// Sets the default peer: <see cref="SendAsync"/> sends there and the socket then only receives
    /// datagrams from it. Connecting a datagram socket does no I/O, so this is synchronous.
    /// </summary>
    /// <param name="remoteEndPoint">The peer, of the socket's address family.</param>
    /// <exception cref="ArgumentNullException"><paramref name="remoteEndPoint"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="remoteEndPoint"/> is of another address family.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The OS refused (for example <see cref="SocketError.NetworkUnreachable"/>).</exception>
    /// <remarks><para><b>Thread safety:</b> a datagram already queued from another sender stays queued and is received after connecting.</para></remarks>
    public void Connect(IPEndPoint remoteEndPoint)
    {
        CheckRemote(remoteEndPoint);
        _core.Call(s => s.Connect(remoteEndPoint), "connect to", remoteEndPoint);
    }

    /// <summary>Sends one datagram to the connected peer.</summary>
    /// <param name="buffer">The datagram; it must stay unchanged until the send completes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes sent (the whole datagram).</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">Not connected (<see cref="SocketError.NotConnected"/>), too large (<see cref="SocketError.MessageSize"/>), or another OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a send cancelled (token or task abort) while waiting sent nothing; a send is never partial.</para>
    /// <para><b>Thread safety:</b> many tasks may send at once.</para>
    /// </remarks>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _core.SendAsync(buffer, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Receives one datagram from the connected peer.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes copied (a datagram longer than the buffer is truncated).</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">The peer refused (<see cref="SocketError.ConnectionRefused"/>), or another OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a receive cancelled (token or task abort) while waiting took no datagram; the next receive gets it.</para>
    /// <para><b>Thread safety:</b> many tasks may receive at once; each datagram goes to one of them.</para>
    /// </remarks>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _core.ReceiveAsync(buffer, SocketFlags.None, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Copies the next datagram from the connected peer without removing it from the queue.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes copied (a datagram longer than the buffer is truncated).</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">An OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe; peeking consumes nothing either way.</para>
    /// <para><b>Thread safety:</b> with other receivers running, the datagram peeked may be taken by one of them before this task receives.</para>
    /// </remarks>
    public ValueTask<int> PeekAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _core.ReceiveAsync(buffer, SocketFlags.Peek, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Sends one datagram to <paramref name="remoteEndPoint"/>.</summary>
    /// <param name="buffer">The datagram; it must stay unchanged until the send completes.</param>
    /// <param name="remoteEndPoint">The destination, of the socket's address family.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes sent (the whole datagram).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="remoteEndPoint"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="remoteEndPoint"/> is of another address family.</exception>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">Too large (<see cref="SocketError.MessageSize"/>), a broadcast address without <see cref="Broadcast"/>, or another OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a send cancelled while waiting sent nothing.</para>
    /// <para><b>Thread safety:</b> many tasks may send at once.</para>
    /// </remarks>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        CheckRemote(remoteEndPoint);
        return _core.SendToAsync(buffer, remoteEndPoint, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Receives one datagram from any sender.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes copied (a longer datagram is truncated) and the sender.</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">An OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a receive cancelled (token or task abort) while waiting took no datagram.</para>
    /// <para><b>Thread safety:</b> many tasks may receive at once; each datagram goes to one of them.</para>
    /// </remarks>
    public ValueTask<UdpReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        ReceiveFromCore(buffer, SocketFlags.None, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Copies the next datagram and its sender without removing it from the queue.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The number of bytes copied (a longer datagram is truncated) and the sender.</returns>
    /// <exception cref="ObjectDisposedException">The socket was or becomes disposed.</exception>
    /// <exception cref="SocketException">An OS error.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe; peeking consumes nothing either way.</para>
    /// <para><b>Thread safety:</b> with other receivers running, the datagram peeked may be taken by one of them first.</para>
    /// </remarks>
    public ValueTask<UdpReceiveFromResult> PeekFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        ReceiveFromCore(buffer, SocketFlags.Peek, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

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
    /// <returns>True when sent; false when the socket is not writable now (the readiness is cleared, so <see cref="ReadyAsync"/> waits for the next change).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TrySend(ReadOnlySpan<byte> buffer, out int count) => _core.TrySend(buffer, out count);

    /// <summary>Receives one datagram from the connected peer if one is queued; never waits.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="count">The number of bytes copied (a longer datagram is truncated).</param>
    /// <returns>True when a datagram was received; false when none is queued (the readiness is cleared).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TryReceive(Span<byte> buffer, out int count) => _core.TryReceive(buffer, SocketFlags.None, out count);

    /// <summary>Sends one datagram to <paramref name="remoteEndPoint"/> if that can be done without waiting.</summary>
    /// <param name="buffer">The datagram.</param>
    /// <param name="remoteEndPoint">The destination.</param>
    /// <param name="count">The number of bytes sent.</param>
    /// <returns>True when sent; false when the socket is not writable now (the readiness is cleared).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="remoteEndPoint"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="remoteEndPoint"/> is of another address family.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TrySendTo(ReadOnlySpan<byte> buffer, IPEndPoint remoteEndPoint, out int count)
    {
        CheckRemote(remoteEndPoint);
        return _core.TrySendTo(buffer, remoteEndPoint, out count);
    }

    /// <summary>Receives one datagram from any sender if one is queued; never waits.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="result">The number of bytes copied and the sender, when received.</param>
    /// <returns>True when a datagram was received; false when none is queued (the readiness is cleared).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">An OS error other than "would block".</exception>
    public bool TryReceiveFrom(Span<byte> buffer, out UdpReceiveFromResult result)
    {
        bool done = _core.TryReceiveFrom(buffer, SocketFlags.None, out int count, out SocketAddress remote);
        result = done ? Result(count, remote) : default;
        return done;
    }

    /// <summary>Deregisters the socket and closes it. Pending operations fail with <see cref="ObjectDisposedException"/>. Idempotent.</summary>
    public void Dispose() => _core.Close();

    /// <inheritdoc/>
    public override string ToString() => $"UdpSocket({_core.Registration})";

    private ValueTask<UdpReceiveFromResult> ReceiveFromCore(Memory<byte> buffer, SocketFlags flags, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ValueTask<(int Count, SocketAddress Remote)> receive = _core.ReceiveFromAsync(buffer, flags, file, line, member, cancellationToken);
        if (receive.IsCompletedSuccessfully)
        {
            (int count, SocketAddress remote) = receive.Result;
            return new ValueTask<UdpReceiveFromResult>(Result(count, remote));
        }

        return AwaitResult(this, receive);

        static async ValueTask<UdpReceiveFromResult> AwaitResult(UdpSocket self, ValueTask<(int Count, SocketAddress Remote)> receive)
        {
            (int count, SocketAddress remote) = await receive.ConfigureAwait(false);
            return self.Result(count, remote);
        }
    }

    private UdpReceiveFromResult Result(int count, SocketAddress remote) => new(count, (IPEndPoint)_template.Create(remote));

    private void CheckRemote(IPEndPoint remoteEndPoint)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        AddressFamily family = _core.Socket.AddressFamily;
        if (remoteEndPoint.AddressFamily != family && !(family == AddressFamily.InterNetworkV6 && _core.Socket.DualMode))
        {
            throw new ArgumentException($"{remoteEndPoint} is an {remoteEndPoint.AddressFamily} address but the socket is {family}; bind the socket with an address of the same family.", nameof(remoteEndPoint));
        }
    }

    private static void CheckFamily(AddressFamily family, string paramName)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"UDP needs an IPv4 or IPv6 address, got {family}.", paramName);
        }
    }

    private static MulticastOption MulticastV4(IPAddress group, IPAddress localInterface)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(localInterface);
        if (group.AddressFamily != AddressFamily.InterNetwork || localInterface.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"IPv4 multicast needs IPv4 addresses, got group {group} and interface {localInterface}.", nameof(group));
        }

        return new MulticastOption(group, localInterface);
    }

    private static IPv6MulticastOption MulticastV6(IPAddress group, int interfaceIndex)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentOutOfRangeException.ThrowIfNegative(interfaceIndex);
        if (group.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"IPv6 multicast needs an IPv6 group, got {group}.", nameof(group));
        }

        return new IPv6MulticastOption(group, interfaceIndex);
    }
}
