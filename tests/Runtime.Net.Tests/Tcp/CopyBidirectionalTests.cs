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
            using Proxy started = await Proxy.StartAsync();
            (TcpPair front, TcpPair back, JoinHandle<(long, long)> proxy) = started;

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
            using Proxy started = await Proxy.StartAsync();
            (TcpPair front, TcpPair back, JoinHandle<(long, long)> proxy) = started;
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

    /// <summary>A copy between the server end of <see cref="Front"/> and the client end of <see cref="Back"/>, running as a task.</summary>
    private sealed class Proxy(TcpPair front, TcpPair back, JoinHandle<(long, long)> copy) : IDisposable
    {
        public TcpPair Front { get; } = front;

        public TcpPair Back { get; } = back;

        public JoinHandle<(long, long)> Copy { get; } = copy;

        public static async Task<Proxy> StartAsync()
        {
            TcpPair front = await TcpPair.CreateAsync();
            TcpPair back = await TcpPair.CreateAsync();
            return new Proxy(front, back, SpindleTask.Spawn(async () => await StreamSocket.CopyBidirectionalAsync(front.Server, back.Client)));
        }

        public void Deconstruct(out TcpPair front, out TcpPair back, out JoinHandle<(long, long)> copy) => (front, back, copy) = (Front, Back, Copy);

        public void Dispose()
        {
            Front.Dispose();
            Back.Dispose();
        }
    }
}
