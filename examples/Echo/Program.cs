using System;
using System.Globalization;
using System.Net;
using Spindle;
using Spindle.Net;

namespace Echo;

/// <summary>
/// A TCP echo server on Spindle: one task per connection, reads and writes on the runtime's I/O
/// driver. <c>dotnet run -c Release --project examples/Echo -- --port 7000 --workers 2</c>; stop with Ctrl+C.
/// Drive it with any load generator (e.g. <c>tcpkali</c>, or the benches' echo clients).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        int port = IntOption(args, "--port", 7000);
        int workers = IntOption(args, "--workers", Environment.ProcessorCount);
        using Runtime runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(workers).ThreadNamePrefix("echo").Build();
        return runtime.BlockOn(async () =>
        {
            using AsyncTcpListener listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Any, port));
            Console.WriteLine($"echo: listening on {listener.LocalEndPoint} with {workers} workers; Ctrl+C stops");
            JoinHandle server = SpindleTask.Spawn(() => ServeAsync(listener), name: "accept");
            await Signals.CtrlCAsync();
            server.Abort();
            Console.WriteLine("echo: stopped");
            return 0;
        });
    }

    private static async System.Threading.Tasks.Task ServeAsync(AsyncTcpListener listener)
    {
        while (true)
        {
            TcpStream stream = await listener.AcceptAsync();
            stream.NoDelay = true;
            _ = SpindleTask.Spawn(async () =>
            {
                using (stream)
                {
                    byte[] buffer = new byte[16 * 1024];
                    try
                    {
                        int n;
                        while ((n = await stream.ReadAsync(buffer)) > 0)
                        {
                            await stream.WriteAllAsync(buffer.AsMemory(0, n));
                        }
                    }
                    catch (System.Net.Sockets.SocketException)
                    {
                        // The client reset the connection: nothing to do but close our end.
                    }
                }
            }, name: "echo-connection");
        }
    }

    internal static int IntOption(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        if (at < 0)
        {
            return fallback;
        }

        if (at + 1 >= args.Length || !int.TryParse(args[at + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value <= 0)
        {
            throw new ArgumentException($"{name} needs a positive number, e.g. {name} {fallback}.");
        }

        return value;
    }
}
