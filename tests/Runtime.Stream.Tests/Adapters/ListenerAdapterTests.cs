namespace SpindleStreamTests.Adapters;

public sealed class ListenerAdapterTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TcpListener_YieldsEachConnection_AndEndsWhenDisposed(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            AsyncTcpListener listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            JoinHandle<List<IPEndPoint>> server = SpindleTask.Spawn(async () =>
            {
                var peers = new List<IPEndPoint>();
                await foreach (TcpStream connection in listener.ToAsyncEnumerable())
                {
                    using (connection)
                    {
                        peers.Add(connection.RemoteEndPoint);
                        await connection.WriteAllAsync(new byte[] { (byte)peers.Count });
                    }
                }

                return peers;
            });

            var clients = new List<IPEndPoint>();
            for (int i = 1; i <= 3; i++)
            {
                using TcpStream client = await TcpStream.ConnectAsync(listener.LocalEndPoint);
                clients.Add(client.LocalEndPoint);
                byte[] reply = new byte[1];
                Assert.Equal(1, await client.ReadAsync(reply));
                Assert.Equal(i, reply[0]);
            }

            listener.Dispose();
            Assert.Equal(clients, await server);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void UnixListener_YieldsConnections(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            using UnixListener listener = UnixListener.Bind("@spindle-stream-" + Guid.NewGuid().ToString("N"));
            JoinHandle<int> server = SpindleTask.Spawn(async () =>
            {
                int count = 0;
                await foreach (UnixStream connection in listener.ToAsyncEnumerable())
                {
                    connection.Dispose();
                    if (++count == 2)
                    {
                        return count;
                    }
                }

                return count;
            });

            using UnixStream a = await UnixStream.ConnectAsync(listener.Path);
            using UnixStream b = await UnixStream.ConnectAsync(listener.Path);
            Assert.Equal(2, await server);
        });
    }
}
