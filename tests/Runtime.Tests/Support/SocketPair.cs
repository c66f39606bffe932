using System.Net;
using System.Net.Sockets;

namespace SpindleTests.Support;

/// <summary>A connected loopback TCP pair, made with blocking calls before any runtime is involved.</summary>
public sealed class SocketPair : IDisposable
{
    private SocketPair(Socket local, Socket peer)
    {
        Local = local;
        Peer = peer;
    }

    /// <summary>The end tests register with a runtime.</summary>
    public Socket Local { get; }

    /// <summary>The other end, driven with plain blocking calls.</summary>
    public Socket Peer { get; }

    public static SocketPair Tcp()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        peer.Connect(listener.LocalEndPoint!);
        Socket local = listener.Accept();
        return new SocketPair(local, peer);
    }

    /// <summary>One non-blocking receive on <see cref="Local"/>: bytes read, or -1 when it would block.</summary>
    public int TryReceiveLocal(byte[] buffer)
    {
        int n = Local.Receive(buffer, SocketFlags.None, out SocketError error);
        return error == SocketError.WouldBlock ? -1 : n;
    }

    public void Dispose()
    {
        Local.Dispose();
        Peer.Dispose();
    }
}
