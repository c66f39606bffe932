using System;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Spindle.Net;

namespace Spindle.Benchmarks;

/// <summary>
/// Round-trip latency percentiles for the 64-connection echo (BenchmarkDotNet reports only whole
/// operations): <c>dotnet run -c Release --project benches -- latency</c>. Each connection times every
/// one of its round trips with <see cref="Stopwatch"/>; warm-up rounds are discarded.
/// </summary>
internal static class NetEchoLatency
{
    private const int Connections = 64;
    private const int RoundTrips = 1_000;
    private const int Warmup = 300;

    public static void Run()
    {
        for (int run = 0; run < 3; run++)
        {
            Report(".NET sockets", Baseline());
            Report("Spindle MT", SpindleRun());
        }
    }

    private static void Report(string name, long[] samples)
    {
        Array.Sort(samples);
        double Percentile(double p) => samples[(int)Math.Min(samples.Length - 1, p * samples.Length)] * 1_000_000.0 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-14} p50 {Percentile(0.50),8:F1} µs   p99 {Percentile(0.99),8:F1} µs   p99.9 {Percentile(0.999),8:F1} µs   ({samples.Length} round trips)"));
    }

    private static long[] Baseline()
    {
        using var server = new NetEchoBaseline();
        Socket[] clients = server.Connect(Connections);
        long[] samples = new long[Connections * RoundTrips];
        var tasks = new Task[Connections];
        for (int c = 0; c < Connections; c++)
        {
            Socket socket = clients[c];
            int offset = c * RoundTrips;
            tasks[c] = Task.Run(async () =>
            {
                byte[] request = new byte[64];
                byte[] response = new byte[64];
                for (int i = -Warmup; i < RoundTrips; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    await NetEchoBaseline.SendAll(socket, request);
                    await NetEchoBaseline.ReceiveExactly(socket, response);
                    if (i >= 0)
                    {
                        samples[offset + i] = Stopwatch.GetTimestamp() - start;
                    }
                }
            });
        }

        Task.WaitAll(tasks);
        foreach (Socket client in clients)
        {
            client.Dispose();
        }

        return samples;
    }

    private static long[] SpindleRun()
    {
        using Runtime runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();
        long[] samples = new long[Connections * RoundTrips];
        runtime.BlockOn(async () =>
        {
            using AsyncTcpListener listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 1024);
            JoinHandle acceptLoop = SpindleEcho.ServeAsync(listener);
            var clients = new JoinHandle[Connections];
            for (int c = 0; c < Connections; c++)
            {
                int offset = c * RoundTrips;
                TcpStream stream = await TcpStream.ConnectAsync(listener.LocalEndPoint);
                stream.NoDelay = true;
                clients[c] = SpindleTask.Spawn(async () =>
                {
                    using (stream)
                    {
                        byte[] request = new byte[64];
                        byte[] response = new byte[64];
                        for (int i = -Warmup; i < RoundTrips; i++)
                        {
                            long start = Stopwatch.GetTimestamp();
                            await stream.WriteAllAsync(request);
                            await SpindleEcho.ReadExactlyAsync(stream, response);
                            if (i >= 0)
                            {
                                samples[offset + i] = Stopwatch.GetTimestamp() - start;
                            }
                        }
                    }
                });
            }

            foreach (JoinHandle client in clients)
            {
                await client;
            }

            acceptLoop.Abort();
        });
        return samples;
    }
}
