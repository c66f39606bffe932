namespace SpindleNetTests.Support;

/// <summary>A connected loopback TCP pair (and its listener) on the current runtime.</summary>
public sealed class TcpPair : IDisposable
{
    private TcpPair(AsyncTcpListener listener, TcpStream client, TcpStream server)
    {
        Listener = listener;
        Client = client;
        Server = server;
    }

    public AsyncTcpListener Listener { get; }

    public TcpStream Client { get; }

    public TcpStream Server { get; }

    public static async Task<TcpPair> CreateAsync(bool ipv6 = false)
    {
        var listener = AsyncTcpListener.Bind(new IPEndPoint(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        ValueTask<TcpStream> accept = listener.AcceptAsync();
        TcpStream client = await TcpStream.ConnectAsync(listener.LocalEndPoint);
        TcpStream server = await accept;
        return new TcpPair(listener, client, server);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (fails on early end of stream).</summary>
    public static async Task<byte[]> ReadExactlyAsync(StreamSocket stream, int count)
    {
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read));
            Assert.True(n > 0, $"end of stream after {read} of {count} bytes");
            read += n;
        }

        return buffer;
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        Listener.Dispose();
    }
}
