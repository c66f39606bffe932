using System;
using System.Net.Sockets;
using Spindle.IO;

namespace Spindle.Net.Internal;

/// <summary>
/// The reusable stream-style read of a socket: one per stream, run in the registration's reader
/// slot, so a read allocates nothing.
/// </summary>
internal sealed class SocketReceive : IoOperation<int>
{
    private readonly Socket _socket;
    private Memory<byte> _buffer;
    private SocketFlags _flags;

    public SocketReceive(Socket socket)
        : base(Interest.Readable) => _socket = socket;

    public void Set(Memory<byte> buffer, SocketFlags flags)
    {
        _buffer = buffer;
        _flags = flags;
    }

    protected override bool TryExecute(out int result)
    {
        result = _socket.Receive(_buffer.Span, _flags, out SocketError error);
        if (error == SocketError.WouldBlock)
        {
            return false;
        }

        _buffer = default;
        if (error != SocketError.Success)
        {
            throw NetErrors.Create(error, "read from", _socket);
        }

        return true;
    }
}
