using System.Text;
using SpindleNetTests.Support;

namespace SpindleNetTests;

/// <summary>UdpSocket on every scheduler and backend: loopback, port 0, bounded waits.</summary>
public sealed class UdpSocketTests
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private static string Text(byte[] buffer, int count) => Encoding.ASCII.GetString(buffer, 0, count);

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void SendToReceiveFrom_RoundTrip_ReportsSenderAddress(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            Assert.NotEqual(0, a.LocalEndPoint.Port);
            Assert.Null(a.PeerEndPoint);

            Assert.Equal(4, await a.SendToAsync(Bytes("ping"), b.LocalEndPoint));
            byte[] buffer = new byte[64];
            UdpReceiveFromResult received = await b.ReceiveFromAsync(buffer);
            Assert.Equal("ping", Text(buffer, received.Count));
            Assert.Equal(a.LocalEndPoint, received.RemoteEndPoint);

            await b.SendToAsync(Bytes("pong!"), received.RemoteEndPoint);
            received = await a.ReceiveFromAsync(buffer);
            Assert.Equal("pong!", Text(buffer, received.Count));
            Assert.Equal(b.LocalEndPoint, received.RemoteEndPoint);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Connect_SendAndReceive_UseThePeer(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            a.Connect(b.LocalEndPoint);
            b.Connect(a.LocalEndPoint);
            Assert.Equal(b.LocalEndPoint, a.PeerEndPoint);

            byte[] buffer = new byte[64];
            JoinHandle<int> receiver = SpindleTask.Spawn(async () => await b.ReceiveAsync(buffer));
            Assert.Equal(5, await a.SendAsync(Bytes("hello")));
            Assert.Equal(5, await receiver);
            Assert.Equal("hello", Text(buffer, 5));

            await b.SendAsync(Bytes("back"));
            Assert.Equal(4, await a.ReceiveAsync(buffer));
            Assert.Equal("back", Text(buffer, 4));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Peek_ThenReceive_ReturnTheSameDatagram(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            await a.SendToAsync(Bytes("first"), b.LocalEndPoint);
            await a.SendToAsync(Bytes("second"), b.LocalEndPoint);

            byte[] buffer = new byte[64];
            UdpReceiveFromResult peeked = await b.PeekFromAsync(buffer);
            Assert.Equal("first", Text(buffer, peeked.Count));
            Assert.Equal(a.LocalEndPoint, peeked.RemoteEndPoint);
            UdpReceiveFromResult received = await b.ReceiveFromAsync(buffer);
            Assert.Equal(peeked, received);
            Assert.Equal("first", Text(buffer, received.Count));

            b.Connect(a.LocalEndPoint);
            int n = await b.PeekAsync(buffer);
            Assert.Equal("second", Text(buffer, n));
            Assert.Equal(n, await b.ReceiveAsync(buffer));
            Assert.Equal("second", Text(buffer, n));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void TryForms_NeverWait_AndSucceedOnceReady(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            byte[] buffer = new byte[64];
            Assert.False(b.TryReceiveFrom(buffer, out _));

            Assert.True(a.TrySendTo(Bytes("try"), b.LocalEndPoint, out int sent));
            Assert.Equal(3, sent);
            UdpReceiveFromResult received;
            while (!b.TryReceiveFrom(buffer, out received))
            {
                await b.ReadyAsync(Interest.Readable);
            }

            Assert.Equal("try", Text(buffer, received.Count));
            Assert.Equal(a.LocalEndPoint, received.RemoteEndPoint);
            Assert.False(b.TryReceiveFrom(buffer, out _));

            a.Connect(b.LocalEndPoint);
            b.Connect(a.LocalEndPoint);
            Assert.False(b.TryReceive(buffer, out _));
            Assert.True(a.TrySend(Bytes("conn"), out sent));
            int n;
            while (!b.TryReceive(buffer, out n))
            {
                await b.ReadyAsync(Interest.Readable);
            }

            Assert.Equal("conn", Text(buffer, n));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReceiveFrom_ManyTasksAtOnce_EachDatagramReceivedOnce(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            const int Count = 8;
            using UdpSocket server = UdpSocket.Bind(AnyLoopback);
            using UdpSocket client = UdpSocket.Bind(AnyLoopback);
            var receivers = new JoinHandle<string>[Count];
            for (int i = 0; i < Count; i++)
            {
                receivers[i] = SpindleTask.Spawn(async () =>
                {
                    byte[] buffer = new byte[16];
                    UdpReceiveFromResult r = await server.ReceiveFromAsync(buffer);
                    Assert.Equal(client.LocalEndPoint, r.RemoteEndPoint);
                    return Text(buffer, r.Count);
                });
            }

            var senders = new JoinHandle<int>[Count];
            for (int i = 0; i < Count; i++)
            {
                string message = $"d{i}";
                senders[i] = SpindleTask.Spawn(async () => await client.SendToAsync(Bytes(message), server.LocalEndPoint));
            }

            foreach (JoinHandle<int> sender in senders)
            {
                Assert.Equal(2, await sender);
            }

            var seen = new List<string>();
            foreach (JoinHandle<string> receiver in receivers)
            {
                seen.Add(await receiver);
            }

            Assert.Equal(Enumerable.Range(0, Count).Select(i => $"d{i}"), seen.Order());
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadyAsync_SeveralWaiters_AllWakeOnOneDatagram(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            Assert.False(b.TryReceiveFrom(new byte[8], out _));
            var waiters = new JoinHandle<Ready>[4];
            for (int i = 0; i < waiters.Length; i++)
            {
                waiters[i] = SpindleTask.Spawn(async () => await b.ReadyAsync(Interest.Readable));
            }

            await a.SendToAsync(Bytes("x"), b.LocalEndPoint);
            foreach (JoinHandle<Ready> waiter in waiters)
            {
                Assert.True((await waiter & Ready.Readable) != 0);
            }

            Assert.Equal(Ready.Writable, await b.ReadyAsync(Interest.Writable) & Ready.Writable);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Abort_TaskBlockedInReceive_LeavesTheSocketUsable(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            a.Connect(b.LocalEndPoint);
            b.Connect(a.LocalEndPoint);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> blocked = SpindleTask.Spawn(async () =>
            {
                started.SetResult();
                return await b.ReceiveAsync(new byte[16]);
            });
            await started.Task;
            await SpindleTask.YieldAsync();
            blocked.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await blocked);

            byte[] buffer = new byte[16];
            await a.SendAsync(Bytes("after"));
            int n = await b.ReceiveAsync(buffer);
            Assert.Equal("after", Text(buffer, n));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Cancel_ReceiveByToken_LeavesTheSocketUsable(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            using var cts = new CancellationTokenSource();
            byte[] buffer = new byte[16];
            ValueTask<UdpReceiveFromResult> pending = b.ReceiveFromAsync(buffer, cts.Token);
            Assert.False(pending.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.ReceiveFromAsync(buffer, cts.Token));

            await a.SendToAsync(Bytes("still"), b.LocalEndPoint);
            UdpReceiveFromResult r = await b.ReceiveFromAsync(buffer);
            Assert.Equal("still", Text(buffer, r.Count));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Options_SetAndGet(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, () =>
        {
            using UdpSocket socket = UdpSocket.Bind(AnyLoopback);
            Assert.False(socket.Broadcast);
            socket.Broadcast = true;
            Assert.True(socket.Broadcast);
            socket.Broadcast = false;
            Assert.False(socket.Broadcast);

            socket.Ttl = 17;
            Assert.Equal(17, socket.Ttl);
            socket.MulticastTtlV4 = 3;
            Assert.Equal(3, socket.MulticastTtlV4);
            socket.MulticastLoopV4 = false;
            Assert.False(socket.MulticastLoopV4);
            socket.MulticastLoopV4 = true;
            Assert.True(socket.MulticastLoopV4);
            Assert.Throws<ArgumentOutOfRangeException>(() => socket.Ttl = 256);
            Assert.Throws<ArgumentOutOfRangeException>(() => socket.MulticastTtlV4 = -1);
            return Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void MulticastV4_JoinOnLoopback_RoundTripsAndLeaves(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            IPAddress group = IPAddress.Parse("239.255.43.21");
            using UdpSocket receiver = UdpSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
            receiver.JoinMulticastV4(group, IPAddress.Loopback);
            using UdpSocket sender = UdpSocket.Bind(AnyLoopback);
            sender.MulticastLoopV4 = true;
            sender.MulticastTtlV4 = 1;

            // IP_MULTICAST_IF: send through loopback, where the receiver joined.
            Socket raw = sender.IntoSocket();
            raw.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.Loopback.GetAddressBytes());
            using UdpSocket multicastSender = UdpSocket.FromSocket(raw);
            await multicastSender.SendToAsync(Bytes("group"), new IPEndPoint(group, receiver.LocalEndPoint.Port));
            byte[] buffer = new byte[16];
            UdpReceiveFromResult r = await receiver.ReceiveFromAsync(buffer);
            Assert.Equal("group", Text(buffer, r.Count));
            Assert.Equal(multicastSender.LocalEndPoint, r.RemoteEndPoint);

            receiver.LeaveMulticastV4(group, IPAddress.Loopback);
            SocketException e = Assert.Throws<SocketException>(() => receiver.LeaveMulticastV4(group, IPAddress.Loopback));
            Assert.Contains("239.255.43.21", e.Message);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void MulticastV6_JoinAndLeave_DoNotThrow(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, () =>
        {
            using UdpSocket socket = UdpSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            socket.MulticastLoopV6 = true;
            Assert.True(socket.MulticastLoopV6);
            // Interface 1 is loopback on Linux.
            IPAddress group = IPAddress.Parse("ff02::4321");
            socket.JoinMulticastV6(group, 1);
            socket.LeaveMulticastV6(group, 1);
            Assert.Throws<ArgumentException>(() => socket.JoinMulticastV6(IPAddress.Parse("239.1.2.3"), 1));
            return Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void IPv6_RoundTrip_OnLoopback(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            using UdpSocket b = UdpSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            await a.SendToAsync(Bytes("six"), b.LocalEndPoint);
            byte[] buffer = new byte[16];
            UdpReceiveFromResult r = await b.ReceiveFromAsync(buffer);
            Assert.Equal("six", Text(buffer, r.Count));
            Assert.Equal(a.LocalEndPoint, r.RemoteEndPoint);
            Assert.Equal(AddressFamily.InterNetworkV6, r.RemoteEndPoint.AddressFamily);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void BadInput_Throws_WithClearErrors(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            Assert.Throws<ArgumentNullException>(() => UdpSocket.Bind(null!));
            Assert.Throws<ArgumentNullException>(() => UdpSocket.FromSocket(null!));
            using (UdpSocket unbound = UdpSocket.FromSocket(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)))
            {
                Assert.Throws<InvalidOperationException>(() => unbound.LocalEndPoint);
            }

            using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                Assert.Throws<ArgumentException>(() => UdpSocket.FromSocket(tcp));
            }

            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            SocketException inUse = Assert.Throws<SocketException>(() => UdpSocket.Bind(a.LocalEndPoint));
            Assert.Equal(SocketError.AddressAlreadyInUse, inUse.SocketErrorCode);
            Assert.Contains(a.LocalEndPoint.ToString(), inUse.Message);
            Assert.Contains("bind", inUse.Message);

            Assert.Throws<ArgumentNullException>(() => a.SendToAsync(Bytes("x"), null!));
            Assert.Throws<ArgumentException>(() => a.SendToAsync(Bytes("x"), new IPEndPoint(IPAddress.IPv6Loopback, 9)));
            Assert.Throws<ArgumentNullException>(() => a.Connect(null!));
            SocketException notConnected = await Assert.ThrowsAsync<SocketException>(async () => await a.SendAsync(Bytes("x")));
            Assert.Contains("send on", notConnected.Message);

            ValueTask<UdpReceiveFromResult> pending = a.ReceiveFromAsync(new byte[8]);
            a.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending);
            a.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await a.ReceiveFromAsync(new byte[8]));
            Assert.Throws<ObjectDisposedException>(() => a.TryReceive(new byte[8], out _));
            Assert.Throws<ObjectDisposedException>(() => a.LocalEndPoint);
            Assert.Throws<ObjectDisposedException>(() => a.IntoSocket());
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void FromSocketAndIntoSocket_ConvertBothWays(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            raw.Bind(AnyLoopback);
            var port = ((IPEndPoint)raw.LocalEndPoint!).Port;
            using UdpSocket wrapped = UdpSocket.FromSocket(raw);
            Assert.Equal(port, wrapped.LocalEndPoint.Port);
            using UdpSocket peer = UdpSocket.Bind(AnyLoopback);
            await peer.SendToAsync(Bytes("in"), wrapped.LocalEndPoint);
            byte[] buffer = new byte[16];
            Assert.Equal(2, (await wrapped.ReceiveFromAsync(buffer)).Count);

            using Socket back = wrapped.IntoSocket();
            Assert.Throws<ObjectDisposedException>(() => wrapped.LocalEndPoint);
            back.Blocking = true;
            await peer.SendToAsync(Bytes("out"), (IPEndPoint)back.LocalEndPoint!);
            Assert.Equal(3, back.Receive(buffer));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Receive_DatagramLargerThanBuffer_IsTruncatedAndTheRestDropped(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using UdpSocket a = UdpSocket.Bind(AnyLoopback);
            using UdpSocket b = UdpSocket.Bind(AnyLoopback);
            await a.SendToAsync(Bytes("too long for four"), b.LocalEndPoint);
            await a.SendToAsync(Bytes("connected, too"), b.LocalEndPoint);
            await a.SendToAsync(Bytes("next"), b.LocalEndPoint);
            byte[] small = new byte[4];
            UdpReceiveFromResult r = await b.ReceiveFromAsync(small);
            Assert.Equal("too ", Text(small, r.Count));
            b.Connect(a.LocalEndPoint);
            Assert.Equal(4, await b.ReceiveAsync(small));
            Assert.Equal("conn", Text(small, 4));
            byte[] large = new byte[64];
            Assert.Equal("next", Text(large, await b.ReceiveAsync(large)));
        });
    }
}
