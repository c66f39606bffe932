using System;
using System.Globalization;
using System.Net;
using System.Text;
using Spindle;
using Spindle.Net;

namespace HttpHello;

/// <summary>
/// A minimal HTTP/1.1 keep-alive "hello world" server on raw <see cref="TcpStream"/>: it answers
/// every request (pipelined ones too) with a fixed 200 response. Enough for <c>wrk</c>:
/// <c>dotnet run -c Release --project examples/HttpHello -- --port 8080</c>, then
/// <c>wrk -t2 -c64 -d10s http://127.0.0.1:8080/</c>; stop with Ctrl+C.
/// </summary>
public static class Program
{
    private static readonly byte[] s_response = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nServer: spindle\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!");

    public static int Main(string[] args)
    {
        int port = PortOption(args);
        using Runtime runtime = RuntimeBuilder.CreateMultiThread().ThreadNamePrefix("http").Build();
        return runtime.BlockOn(async () =>
        {
            using AsyncTcpListener listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Any, port));
            Console.WriteLine($"http-hello: listening on http://{listener.LocalEndPoint}/ ; Ctrl+C stops");
            JoinHandle server = SpindleTask.Spawn(async () =>
            {
                while (true)
                {
                    TcpStream stream = await listener.AcceptAsync();
                    stream.NoDelay = true;
                    _ = SpindleTask.Spawn(() => ServeConnectionAsync(stream), name: "http-connection");
                }
            }, name: "accept");
            await Signals.CtrlCAsync();
            server.Abort();
            return 0;
        });
    }

    /// <summary>Answers each request found in the stream (a request ends at an empty line); closes on EOF.</summary>
    internal static async System.Threading.Tasks.Task ServeConnectionAsync(TcpStream stream)
    {
        using (stream)
        {
            byte[] buffer = new byte[8 * 1024];
            int filled = 0;
            try
            {
                while (true)
                {
                    int n = await stream.ReadAsync(buffer.AsMemory(filled));
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                    int consumed = 0;
                    int end;
                    while ((end = buffer.AsSpan(consumed, filled - consumed).IndexOf("\r\n\r\n"u8)) >= 0)
                    {
                        consumed += end + 4;
                        await stream.WriteAllAsync(s_response);
                    }

                    // Keep a partial request; a request larger than the buffer is refused by closing.
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                    if (filled == buffer.Length)
                    {
                        return;
                    }
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Reset by the client.
            }
        }
    }

    private static int PortOption(string[] args)
    {
        int at = Array.IndexOf(args, "--port");
        if (at < 0)
        {
            return 8080;
        }

        if (at + 1 >= args.Length || !int.TryParse(args[at + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535)
        {
            throw new ArgumentException("--port needs a port number (0-65535), e.g. --port 8080.");
        }

        return port;
    }
}
