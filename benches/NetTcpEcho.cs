using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Net;

namespace Spindle.Benchmarks;

/// <summary>
/// TCP echo round trips, 64-byte request and response, with 1 and 64 connections, client and server
/// in one process on loopback. Baseline: <see cref="Socket"/>'s async methods on the ThreadPool.
/// Spindle: <see cref="AsyncTcpListener"/> and <see cref="TcpStream"/> on a multi-thread runtime
/// (2 workers), where the parked worker polls epoll itself. One operation = every connection doing
/// <see cref="RoundTrips"/> round trips, all connections at once. Client loops are inlined (no helper
/// async methods), so the allocation column shows what the sockets and tasks cost.
/// </summary>
[MemoryDiagnoser]
public class NetTcpEcho
{
    private const int MessageSize = 64;

    private NetEchoBaseline _baselineServer = null!;
    private Socket[] _baselineClients = null!;
    private Runtime _runtime = null!;
    private AsyncTcpListener _listener = null!;
    private TcpStream[] _spindleClients = null!;
    private JoinHandle _acceptLoop;

    [Params(1, 64)]
    public int Connections { get; set; }

    /// <summary>Round trips per connection per operation: 64 × 100 or 1 × 2,000.</summary>
    public int RoundTrips => Connections == 1 ? 2_000 : 100;

    [GlobalSetup(Target = nameof(DotNetSockets))]
    public void SetupBaseline()
    {
        _baselineServer = new NetEchoBaseline();
        _baselineClients = _baselineServer.Connect(Connections);
    }

    [GlobalCleanup(Target = nameof(DotNetSockets))]
    public void CleanupBaseline()
    {
        foreach (Socket client in _baselineClients)
        {
            client.Dispose();
        }

        _baselineServer.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task DotNetSockets()
    {
        var clients = new Task[Connections];
        for (int c = 0; c < Connections; c++)
        {
            Socket socket = _baselineClients[c];
            clients[c] = Task.Run(async () =>
            {
                byte[] request = new byte[MessageSize];
                byte[] response = new byte[MessageSize];
                for (int i = 0; i < RoundTrips; i++)
                {
                    // Inlined (no helper async method): the loop allocates only what the sockets do.
                    await socket.SendAsync(request.AsMemory(), SocketFlags.None);
                    for (int got = 0; got < MessageSize;)
                    {
                        got += await socket.ReceiveAsync(response.AsMemory(got), SocketFlags.None);
                    }
                }
            });
        }

        await Task.WhenAll(clients);
    }

    [GlobalSetup(Target = nameof(Spindle))]
    public void SetupSpindle()
    {
        _runtime = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).Build();
        _runtime.BlockOn(async () =>
        {
            _listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 1024);
            _acceptLoop = SpindleEcho.ServeAsync(_listener);
            _spindleClients = new TcpStream[Connections];
            for (int c = 0; c < Connections; c++)
            {
                _spindleClients[c] = await TcpStream.ConnectAsync(_listener.LocalEndPoint);
                _spindleClients[c].NoDelay = true;
            }
        });
    }

    [GlobalCleanup(Target = nameof(Spindle))]
    public void CleanupSpindle()
    {
        foreach (TcpStream client in _spindleClients)
        {
            client.Dispose();
        }

        _acceptLoop.Abort();
        _listener.Dispose();
        _runtime.Dispose();
    }

    [Benchmark]
    public void Spindle() => _runtime.BlockOn(async () =>
    {
        var clients = new JoinHandle[Connections];
        for (int c = 0; c < Connections; c++)
        {
            TcpStream stream = _spindleClients[c];
            clients[c] = SpindleTask.Spawn(async () =>
            {
                byte[] request = new byte[MessageSize];
                byte[] response = new byte[MessageSize];
                for (int i = 0; i < RoundTrips; i++)
                {
                    await stream.WriteAllAsync(request);
                    for (int got = 0; got < MessageSize;)
                    {
                        got += await stream.ReadAsync(response.AsMemory(got));
                    }
                }
            });
        }

        foreach (JoinHandle client in clients)
        {
            await client;
        }
    });
}
