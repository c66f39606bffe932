using System;
using System.Net.Sockets;

namespace Spindle.Net.Internal;

/// <summary>
/// Socket options set with their Linux numbers. .NET's <see cref="SocketOptionName.ReuseAddress"/> sets
/// <c>SO_REUSEADDR</c> <em>and</em> <c>SO_REUSEPORT</c> on Unix, which lets a second listener bind a port
/// that is in use; tokio's semantics need the two apart.
/// </summary>
internal static class RawSocketOptions
{
    // Linux <asm-generic/socket.h>.
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int SoReusePort = 15;

    public static bool GetReuseAddress(Socket socket) => OperatingSystem.IsLinux()
        ? GetInt(socket, SoReuseAddr) != 0
        : (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress)! != 0;

    public static void SetReuseAddress(Socket socket, bool value)
    {
        if (OperatingSystem.IsLinux())
        {
            SetInt(socket, SoReuseAddr, value ? 1 : 0);
        }
        else
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, value);
        }
    }

    public static bool GetReusePort(Socket socket)
    {
        ThrowIfNotLinux();
        return GetInt(socket, SoReusePort) != 0;
    }

    public static void SetReusePort(Socket socket, bool value)
    {
        ThrowIfNotLinux();
        SetInt(socket, SoReusePort, value ? 1 : 0);
    }

    private static int GetInt(Socket socket, int name)
    {
        Span<byte> raw = stackalloc byte[sizeof(int)];
        socket.GetRawSocketOption(SolSocket, name, raw);
        return BitConverter.ToInt32(raw);
    }

    private static void SetInt(Socket socket, int name, int value)
    {
        Span<byte> raw = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(raw, value);
        socket.SetRawSocketOption(SolSocket, name, raw);
    }

    private static void ThrowIfNotLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("SO_REUSEPORT is only supported on Linux by this version of Spindle.");
        }
    }
}
