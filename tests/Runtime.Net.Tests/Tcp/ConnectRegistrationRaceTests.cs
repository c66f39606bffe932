using SpindleNetTests.Support;

namespace SpindleNetTests.Tcp;

/// <summary>
/// Regression test for a busy loop on the multi-thread scheduler with epoll, found by the
/// copy-bidirectional test: the connect path registered the socket before starting the handshake,
/// Linux reported the unconnected socket as hung up (EPOLLHUP), the other worker's driver turn set
/// the never-cleared closed bits, and every later read of the connection retried "would block"
/// forever. The connect now starts before the registration (as in mio/tokio). Repeating the proxy
/// scenario hit the race within a few dozen iterations before the fix.
/// </summary>
public sealed class ConnectRegistrationRaceTests
{
    [Theory]
    [InlineData(RuntimeFlavor.MultiThread, IoBackend.Epoll)]
    public void ProxyScenario_Repeated_NeverHangs(RuntimeFlavor flavor, IoBackend backend)
    {
        for (int iteration = 0; iteration < 200; iteration++)
        {
            NetRt.Run(flavor, backend, async () =>
            {
                using TcpPair front = await TcpPair.CreateAsync();
                using TcpPair back = await TcpPair.CreateAsync();
                JoinHandle<(long, long)> proxy = SpindleTask.Spawn(async () => await StreamSocket.CopyBidirectionalAsync(front.Server, back.Client));
                JoinHandle upstream = SpindleTask.Spawn(async () =>
                {
                    byte[] buffer = new byte[100_000];
                    while (await back.Server.ReadAsync(buffer) > 0)
                    {
                    }

                    await back.Server.WriteAllAsync("response"u8.ToArray());
                    back.Server.ShutdownWrite();
                });

                await front.Client.WriteAllAsync(new byte[100_000]);
                front.Client.ShutdownWrite();
                Assert.Equal("response"u8.ToArray(), await TcpPair.ReadExactlyAsync(front.Client, 8));
                await upstream;
                await proxy;
            });
        }
    }
}
