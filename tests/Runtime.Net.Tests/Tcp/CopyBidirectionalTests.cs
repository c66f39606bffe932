using SpindleNetTests.Support;

namespace SpindleNetTests.Tcp;

public sealed class CopyBidirectionalTests
{
    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void CopyBidirectionalAsync_Proxy_CopiesBothWaysAndPropagatesEndOfStream(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            // client <-> (proxyFront | proxyBack) <-> upstream
            using TcpPair front = await TcpPair.CreateAsync();
            using TcpPair back = await TcpPair.CreateAsync();
            JoinHandle<(long, long)> proxy = SpindleTask.Spawn(async () => await StreamSocket.CopyBidirectionalAsync(front.Server, back.Client));

            byte[] request = new byte[100_000];
            new Random(1).NextBytes(request);
            JoinHandle upstream = SpindleTask.Spawn(async () =>
            {
                byte[] got = await TcpPair.ReadExactlyAsync(back.Server, request.Length);
                Assert.Equal(request, got);
                Assert.Equal(0, await back.Server.ReadAsync(new byte[1]));
                await back.Server.WriteAllAsync("response"u8.ToArray());
                back.Server.ShutdownWrite();
            });

            await front.Client.WriteAllAsync(request);
            front.Client.ShutdownWrite();
            Assert.Equal("response"u8.ToArray(), await TcpPair.ReadExactlyAsync(front.Client, 8));
            Assert.Equal(0, await front.Client.ReadAsync(new byte[1]));
            await upstream;
            Assert.Equal((request.Length, 8L), await proxy);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void CopyBidirectionalAsync_BToAFailsWhileAToBWaits_EndsWithThatError(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair front = await TcpPair.CreateAsync();
            using TcpPair back = await TcpPair.CreateAsync();
            JoinHandle<(long, long)> proxy = SpindleTask.Spawn(async () => await StreamSocket.CopyBidirectionalAsync(front.Server, back.Client));
            // The client sends nothing, so a->b waits; upstream resets its connection, so b->a fails.
            back.Server.Linger = new LingerOption(true, 0);
            back.Server.Dispose();
            SocketException error = await Assert.ThrowsAsync<SocketException>(async () => await Rt.Within(proxy.AsTask()));
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
            // The other direction was stopped and has finished: nothing of the copy is left running.
            Assert.DoesNotContain(RuntimeHandle.Current.GetTasks(), t => t.Name?.StartsWith("copy_bidirectional", StringComparison.Ordinal) == true);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void CopyBidirectionalAsync_BadArguments_Throw(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await StreamSocket.CopyBidirectionalAsync(null!, pair.Client));
            await Assert.ThrowsAsync<ArgumentException>(async () => await StreamSocket.CopyBidirectionalAsync(pair.Client, pair.Client));
        });
    }
}
