using Spindle.Time;
using SpindleNetTests.Support;

namespace SpindleNetTests.Tcp;

/// <summary>A connect bounded by the time module: the pending handshake is abandoned and nothing leaks.</summary>
public sealed class ConnectTimeoutTests
{
    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ConnectAsync_ToAListenerWithAFullQueue_TimesOut(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            // A backlog of 1 that nobody accepts from: once it is full, Linux drops further SYNs,
            // so the next handshake cannot finish on its own.
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var endPoint = (IPEndPoint)listener.LocalEndPoint!;
            var fillers = new List<Socket>();
            try
            {
                bool queueFull = false;
                for (int i = 0; i < 8 && !queueFull; i++)
                {
                    // Non-blocking connects until one does not complete within a bounded probe.
                    var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                    fillers.Add(filler);
                    try
                    {
                        filler.Connect(endPoint);
                    }
                    catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                    {
                        queueFull = !filler.Poll(200_000, SelectMode.SelectWrite);
                    }
                }

                Assert.True(queueFull, "the listener's queue never filled; cannot make a connect hang here");
                TimeoutException timeout = await Assert.ThrowsAsync<TimeoutException>(() =>
                    Time.TimeoutAsync(TimeSpan.FromMilliseconds(100), async ct => await TcpStream.ConnectAsync(endPoint, ct)));
                Assert.Contains("100 ms", timeout.Message, StringComparison.Ordinal);
            }
            finally
            {
                foreach (Socket filler in fillers)
                {
                    filler.Dispose();
                }
            }
        });
    }
}
