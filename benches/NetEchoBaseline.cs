using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Benchmarks;

/// <summary>
/// The .NET side of the TCP benchmarks: a server and clients on <see cref="Socket"/>'s own async
/// methods (completions on .NET's epoll thread, continuations on the ThreadPool), in one process on loopback.
/// </summary>
internal sealed class NetEchoBaseline : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _accepted = new();
    private readonly CancellationTokenSource _stop = new();

    public NetEchoBaseline(bool discard = false)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1024);
        _ = AcceptLoop(discard);
    }

    public EndPoint EndPoint => _listener.LocalEndPoint!;

    private async Task AcceptLoop(bool discard)
    {
        try
        {
            while (true)
            {
                Socket socket = await _listener.AcceptAsync(_stop.Token);
                socket.NoDelay = true;
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }

                _ = discard ? Discard(socket) : Echo(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task Echo(Socket socket)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                await SendAll(socket, buffer.AsMemory(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task Discard(Socket socket)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None) > 0)
            {
            }

            // Acknowledge the end of the transfer.
            await socket.SendAsync(new byte[1].AsMemory(), SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public static async ValueTask SendAll(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = await socket.SendAsync(data, SocketFlags.None);
            data = data.Slice(n);
        }
    }

    public static async ValueTask ReceiveExactly(Socket socket, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0)
            {
                throw new InvalidOperationException("the echo server closed the connection");
            }

            buffer = buffer.Slice(n);
        }
    }

    public Socket[] Connect(int count)
    {
        var clients = new Socket[count];
        for (int i = 0; i < count; i++)
        {
            clients[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            clients[i].Connect(EndPoint);
        }

        return clients;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        lock (_accepted)
        {
            foreach (Socket socket in _accepted)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }
}
