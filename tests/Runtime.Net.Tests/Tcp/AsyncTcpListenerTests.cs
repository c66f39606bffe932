using Spindle.Sync;
using SpindleNetTests.Support;

namespace SpindleNetTests.Tcp;

public sealed class AsyncTcpListenerTests
{
    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void AcceptAsync_EightTasksAtOnce_EachGetsADistinctConnection(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            const int Tasks = 8;
            using var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var accepters = new JoinHandle<int>[Tasks];
            for (int i = 0; i < Tasks; i++)
            {
                accepters[i] = SpindleTask.Spawn(async () =>
                {
                    using TcpStream stream = await listener.AcceptAsync();
                    byte[] id = await TcpPair.ReadExactlyAsync(stream, 1);
                    return (int)id[0];
                });
            }

            var clients = new List<TcpStream>();
            for (int i = 0; i < Tasks; i++)
            {
                TcpStream client = await TcpStream.ConnectAsync(listener.LocalEndPoint);
                await client.WriteAllAsync(new[] { (byte)i });
                clients.Add(client);
            }

            var ids = new HashSet<int>();
            foreach (JoinHandle<int> accepter in accepters)
            {
                Assert.True(ids.Add(await accepter));
            }

            Assert.Equal(Enumerable.Range(0, Tasks), ids.Order());
            clients.ForEach(c => c.Dispose());
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void AcceptAsync_1000ConcurrentConnections_AllEcho(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            const int Connections = 1000;
            using var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), backlog: Connections);
            JoinHandle server = SpindleTask.Spawn(async () =>
            {
                var handlers = new List<JoinHandle>(Connections);
                for (int i = 0; i < Connections; i++)
                {
                    TcpStream stream = await listener.AcceptAsync();
                    handlers.Add(SpindleTask.Spawn(async () =>
                    {
                        using (stream)
                        {
                            byte[] buffer = new byte[16];
                            int n;
                            while ((n = await stream.ReadAsync(buffer)) > 0)
                            {
                                await stream.WriteAllAsync(buffer.AsMemory(0, n));
                            }
                        }
                    }));
                }

                foreach (JoinHandle handler in handlers)
                {
                    await handler;
                }
            });

            var clients = new JoinHandle<bool>[Connections];
            for (int i = 0; i < Connections; i++)
            {
                int id = i;
                clients[i] = SpindleTask.Spawn(async () =>
                {
                    using TcpStream client = await TcpStream.ConnectAsync(listener.LocalEndPoint);
                    byte[] message = BitConverter.GetBytes(id);
                    await client.WriteAllAsync(message);
                    byte[] echoed = await TcpPair.ReadExactlyAsync(client, message.Length);
                    client.ShutdownWrite();
                    return echoed.AsSpan().SequenceEqual(message) && await client.ReadAsync(new byte[1]) == 0;
                });
            }

            foreach (JoinHandle<bool> client in clients)
            {
                Assert.True(await client);
            }

            await server;
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void AcceptAsync_TaskAborted_ThrowsAndTheListenerStaysUsable(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var entered = new AsyncBarrier(2);
            JoinHandle<TcpStream> accepter = SpindleTask.Spawn(async () =>
            {
                await entered.WaitAsync();
                return await listener.AcceptAsync();
            });

            await entered.WaitAsync();
            for (int i = 0; i < 100; i++)
            {
                await SpindleTask.YieldAsync();
            }

            accepter.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await accepter);

            ValueTask<TcpStream> accept = listener.AcceptAsync();
            using TcpStream client = await TcpStream.ConnectAsync(listener.LocalEndPoint);
            using TcpStream server = await accept;
            Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void AcceptAsync_Cancelled_LeavesTheConnectionForTheNextAccept(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var cts = new CancellationTokenSource();
            ValueTask<TcpStream> cancelled = listener.AcceptAsync(cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);

            using TcpStream client = await TcpStream.ConnectAsync(listener.LocalEndPoint);
            using TcpStream server = await listener.AcceptAsync();
            Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Dispose_WakesAPendingAcceptWithObjectDisposed(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            ValueTask<TcpStream> accept = listener.AcceptAsync();
            listener.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await accept);
            Assert.Contains("disposed", listener.ToString(), StringComparison.Ordinal);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Bind_AddressInUse_ThrowsNamingTheAddress(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, () =>
        {
            using var first = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            SocketException error = Assert.Throws<SocketException>(() => AsyncTcpListener.Bind(first.LocalEndPoint));
            Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
            Assert.Contains(first.LocalEndPoint.ToString(), error.Message, StringComparison.Ordinal);
            return Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void FromSocketAndIntoSocket_HandTheListenerOver(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            raw.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            raw.Listen();
            using var listener = AsyncTcpListener.FromSocket(raw);
            listener.Ttl = 33;
            Assert.Equal(33, listener.Ttl);

            ValueTask<TcpStream> accept = listener.AcceptAsync();
            using (TcpStream client = await TcpStream.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port))
            using (TcpStream server = await accept)
            {
                Assert.Equal(client.RemoteEndPoint, server.LocalEndPoint);
            }

            using Socket back = listener.IntoSocket();
            Assert.Throws<ObjectDisposedException>(() => { _ = listener.AcceptAsync(); });
            Assert.True(back.Blocking);
            Assert.Throws<ArgumentNullException>(() => AsyncTcpListener.FromSocket(null!));
            using var unbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Assert.Throws<ArgumentException>(() => AsyncTcpListener.FromSocket(unbound));
        });
    }
}
