using SpindleNetTests.Support;

namespace SpindleNetTests;

/// <summary>The readiness API end to end on a loopback TCP pair, on every scheduler and backend.</summary>
public sealed class RegistrationSmokeTests
{
    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadinessAsync_WakesAReader_WhenThePeerWrites(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await Rt.Within(client.ConnectAsync(listener.LocalEndPoint!));
            using Socket server = await Rt.Within(listener.AcceptAsync());
            using IoRegistration registration = IoRegistration.Register(server);
            Assert.Equal(backend, registration.Backend);

            byte[] buffer = new byte[16];
            // Fresh registrations start ready: the first receive would block and clears it.
            Assert.False(registration.TryIo<Socket, int>(Interest.Readable, server, static (s, out n) =>
            {
                n = s.Receive(new byte[16], SocketFlags.None, out SocketError e);
                return e != SocketError.WouldBlock;
            }, out _));
            Assert.False(registration.TryGetReadiness(Interest.Readable, out _));

            JoinHandle<int> reader = SpindleTask.Spawn(async () =>
            {
                while (true)
                {
                    ReadyEvent ready = await registration.ReadinessAsync(Interest.Readable);
                    int n = server.Receive(buffer, SocketFlags.None, out SocketError error);
                    if (error != SocketError.WouldBlock)
                    {
                        return n;
                    }

                    registration.ClearReadiness(ready);
                }
            });

            client.Send("hello"u8);
            Assert.Equal(5, await reader);
            Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, 5));
        });
    }
}
