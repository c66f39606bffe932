using System;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Spindle.Net.Internal;

namespace Spindle.Net;

/// <summary>Linux-only members of <see cref="UnixStream"/>.</summary>
public sealed partial class UnixStream
{
    // Linux <asm-generic/socket.h> and <sys/socket.h>: SOL_SOCKET = 1, SO_PEERCRED = 17,
    // struct ucred { pid_t pid; uid_t uid; gid_t gid; } = 12 bytes in native byte order.
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int UcredSize = 12;

    /// <summary>The credentials of the peer process, as of when it connected (<c>SO_PEERCRED</c>).</summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="SocketException">The kernel refused the query.</exception>
    [SupportedOSPlatform("linux")]
    public UnixCredentials PeerCredentials
    {
        get
        {
            Span<byte> ucred = stackalloc byte[UcredSize];
            int length;
            try
            {
                length = Socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
            }
            catch (SocketException e)
            {
                throw NetErrors.Create(e.SocketErrorCode, "read peer credentials of", Socket);
            }

            if (length != UcredSize)
            {
                throw new SocketException((int)SocketError.ProtocolOption, $"SO_PEERCRED returned {length} bytes; expected {UcredSize}.");
            }

            return new UnixCredentials(
                BitConverter.ToInt32(ucred),
                BitConverter.ToUInt32(ucred[4..]),
                BitConverter.ToUInt32(ucred[8..]));
        }
    }
}
