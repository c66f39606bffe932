using System;
using Spindle.Net;

namespace Spindle.Benchmarks;

/// <summary>The Spindle side of the TCP benchmarks: an echo (or discard) server on <see cref="AsyncTcpListener"/>.</summary>
internal static class SpindleEcho
{
    public static JoinHandle ServeAsync(AsyncTcpListener listener, bool discard = false) => SpindleTask.Spawn(async () =>
    {
        while (true)
        {
            TcpStream stream = await listener.AcceptAsync();
            stream.NoDelay = true;
            _ = SpindleTask.Spawn(async () =>
            {
                using (stream)
                {
                    byte[] buffer = new byte[discard ? 64 * 1024 : 4096];
                    while (true)
                    {
                        int n = await stream.ReadAsync(buffer);
                        if (n == 0)
                        {
                            break;
                        }

                        if (!discard)
                        {
                            await stream.WriteAllAsync(buffer.AsMemory(0, n));
                        }
                    }

                    if (discard)
                    {
                        await stream.WriteAllAsync(new byte[1]);
                    }
                }
            });
        }
    }, name: "echo-accept");

    public static async System.Threading.Tasks.ValueTask ReadExactlyAsync(TcpStream stream, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                throw new InvalidOperationException("the echo server closed the connection");
            }

            buffer = buffer.Slice(n);
        }
    }
}
