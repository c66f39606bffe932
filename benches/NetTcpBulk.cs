using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Net;

namespace Spindle.Benchmarks;

/// <summary>
/// Bulk throughput: one connection carries 32 MB in 64 KB writes to a server that reads and discards
/// it, then acknowledges the end of stream. Baseline: <see cref="Socket"/> async methods.
/// </summary>
[MemoryDiagnoser]
public class NetTcpBulk
{
    private const int Total = 32 * 1024 * 1024;
    private const int Chunk = 64 * 1024;

    private NetEchoBaseline _baselineServer = null!;
    private Runtime _runtime = null!;
    private AsyncTcpListener _listener = null!;
    private JoinHandle _acceptLoop;
    private readonly byte[] _chunk = new byte[Chunk];

    [GlobalSetup(Target = nameof(DotNetSockets))]
    public void SetupBaseline() => _baselineServer = new NetEchoBaseline(discard: true);

    [GlobalCleanup(Target = nameof(DotNetSockets))]
    public void CleanupBaseline() => _baselineServer.Dispose();

    [Benchmark(Baseline = true)]
    public async Task DotNetSockets()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_baselineServer.EndPoint);
        for (int sent = 0; sent < Total; sent += Chunk)
        {
            await NetEchoBaseline.SendAll(client, _chunk);
        }

        client.Shutdown(SocketShutdown.Send);
        await NetEchoBaseline.ReceiveExactly(client, new byte[1]);
    }

    [GlobalSetup(Target = nameof(Spindle))]
    public void SetupSpindle()
    {
        _runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();
        _runtime.BlockOn(() =>
        {
            _listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 1024);
            _acceptLoop = SpindleEcho.ServeAsync(_listener, discard: true);
            return Task.CompletedTask;
        });
    }

    [GlobalCleanup(Target = nameof(Spindle))]
    public void CleanupSpindle()
    {
        _acceptLoop.Abort();
        _listener.Dispose();
        _runtime.Dispose();
    }

    [Benchmark]
    public void Spindle() => _runtime.BlockOn(async () =>
    {
        using TcpStream client = await TcpStream.ConnectAsync(_listener.LocalEndPoint);
        for (int sent = 0; sent < Total; sent += Chunk)
        {
            await client.WriteAllAsync(_chunk);
        }

        client.ShutdownWrite();
        await SpindleEcho.ReadExactlyAsync(client, new byte[1]);
    });
}
