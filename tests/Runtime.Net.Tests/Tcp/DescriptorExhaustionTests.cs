using System.Runtime.Versioning;
using Spindle.Time;
using SpindleNetTests.Support;

namespace SpindleNetTests.Tcp;

/// <summary>EMFILE on accept: a clear error, no spin, and the queued connection is not lost.</summary>
[Collection(nameof(ProcessLimitTests))]
[SupportedOSPlatform("linux")]
public sealed class DescriptorExhaustionTests
{
    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Accept_OutOfDescriptors_Throws_ThenPausesAndAcceptsTheQueuedConnection(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = NetRt.Build(flavor, backend, paused: true);
        Rt.Run(runtime, async () =>
        {
            using AsyncTcpListener listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(listener.LocalEndPoint); // loopback: the handshake completes in the kernel's queue

            SocketException error;
            using (FdLimit.Exhaust())
            {
                error = await Assert.ThrowsAsync<SocketException>(async () => await listener.AcceptAsync());
            }

            Assert.Equal(SocketError.TooManyOpenSockets, error.SocketErrorCode);
            Assert.Contains("file descriptors", error.Message, StringComparison.Ordinal);

            // The next accept pauses on the (paused, auto-advancing) clock, then takes the queued connection.
            Instant before = Time.Now;
            using TcpStream accepted = await listener.AcceptAsync();
            Assert.True(Time.Now - before >= TimeSpan.FromMilliseconds(10), $"no pause after EMFILE: {Time.Now - before}");
            Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);

            // A successful accept resets the pause.
            using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            second.Connect(listener.LocalEndPoint);
            Instant again = Time.Now;
            using TcpStream next = await listener.AcceptAsync();
            Assert.Equal(TimeSpan.Zero, Time.Now - again);
        });
    }
}
