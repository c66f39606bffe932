using System.Net;
using System.Net.Sockets;

namespace Spindle.Net.Internal;

/// <summary>
/// Turns a failed socket call into the exception users see: a <see cref="SocketException"/> whose
/// <see cref="SocketException.SocketErrorCode"/> is the OS error (so callers can switch on it, as with
/// .NET's own sockets) and whose message names the operation and the addresses involved.
/// </summary>
internal static class NetErrors
{
    public static SocketException Create(SocketError error, string operation, EndPoint? address = null) =>
        new((int)error, address is null
            ? $"{operation} failed: {Describe(error)} ({error})."
            : $"{operation} {address} failed: {Describe(error)} ({error}).");

    public static SocketException Create(SocketError error, string operation, Socket socket)
    {
        EndPoint? address = null;
        try
        {
            address = socket.Connected ? socket.RemoteEndPoint : socket.LocalEndPoint;
        }
        catch (System.Exception e) when (e is SocketException or System.ObjectDisposedException)
        {
            // The address is only for the message.
        }

        return Create(error, operation, address);
    }

    private static string Describe(SocketError error) => new SocketException((int)error).Message;
}
