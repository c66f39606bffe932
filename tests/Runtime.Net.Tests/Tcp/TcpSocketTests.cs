using SpindleNetTests.Support;

namespace SpindleNetTests.Tcp;

public sealed class TcpSocketTests
{
    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ListenAndConnect_WithOptions_Connect(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpSocket listenSocket = TcpSocket.CreateV4();
            listenSocket.ReuseAddress = true;
            Assert.True(listenSocket.ReuseAddress);
            listenSocket.ReceiveBufferSize = 64 * 1024;
            Assert.True(listenSocket.ReceiveBufferSize >= 64 * 1024);
            listenSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            IPEndPoint bound = listenSocket.LocalEndPoint!;
            using AsyncTcpListener listener = listenSocket.Listen(16);
            Assert.Equal(bound, listener.LocalEndPoint);
            Assert.Throws<ObjectDisposedException>(() => listenSocket.NoDelay = true);

            using TcpSocket connectSocket = TcpSocket.CreateV4();
            connectSocket.NoDelay = true;
            connectSocket.KeepAlive = true;
            Assert.True(connectSocket.KeepAlive);
            connectSocket.SendBufferSize = 32 * 1024;
            Assert.True(connectSocket.SendBufferSize >= 32 * 1024);
            ValueTask<TcpStream> accept = listener.AcceptAsync();
            using TcpStream client = await connectSocket.ConnectAsync(listener.LocalEndPoint);
            using TcpStream server = await accept;
            Assert.True(client.NoDelay);
            await client.WriteAllAsync("opt"u8.ToArray());
            Assert.Equal("opt"u8.ToArray(), await TcpPair.ReadExactlyAsync(server, 3));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReusePort_TwoListenersOnOnePort_BothBind(RuntimeFlavor flavor, IoBackend backend)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        NetRt.Run(flavor, backend, async () =>
        {
            using TcpSocket first = TcpSocket.CreateV4();
            first.ReusePort = true;
            Assert.True(first.ReusePort);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using AsyncTcpListener a = first.Listen(16);

            using TcpSocket second = TcpSocket.CreateV4();
            second.ReusePort = true;
            second.Bind(a.LocalEndPoint);
            using AsyncTcpListener b = second.Listen(16);
            Assert.Equal(a.LocalEndPoint, b.LocalEndPoint);

            using TcpSocket third = TcpSocket.CreateV4();
            SocketException error = Assert.Throws<SocketException>(() => third.Bind(a.LocalEndPoint));
            Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
            await Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ConnectAsync_Refused_ThrowsAndDisposesTheSocket(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            IPEndPoint closed;
            using (var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                closed = listener.LocalEndPoint;
            }

            using TcpSocket socket = TcpSocket.CreateV4();
            SocketException error = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(closed));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
            Assert.Throws<ObjectDisposedException>(() => socket.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await TcpSocket.CreateV6().ConnectAsync(null!));
            Assert.Throws<ArgumentOutOfRangeException>(() => TcpSocket.CreateV4().Listen(0));
        });
    }
}
