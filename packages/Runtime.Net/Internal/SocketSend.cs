using System;
using System.Net.Sockets;
using Spindle.IO;

namespace Spindle.Net.Internal;

/// <summary>
/// The reusable stream-style write of a socket, run in the registration's writer slot. In
/// "write all" mode it keeps writing (on whichever thread sees the socket writable) until the whole
/// buffer is gone, so <c>WriteAllAsync</c> is one operation and allocates nothing.
/// </summary>
internal sealed class SocketSend : IoOperation<int>
{
    private readonly Socket _socket;
    private ReadOnlyMemory<byte> _buffer;
    private bool _all;
    private int _written;

    public SocketSend(Socket socket)
        : base(Interest.Writable) => _socket = socket;

    public void Set(ReadOnlyMemory<byte> buffer, bool all)
    {
        _buffer = buffer;
        _all = all;
        _written = 0;
    }

    protected override bool TryExecute(out int result)
    {
        while (true)
        {
            int n = _socket.Send(_buffer.Span, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                result = 0;
                return false;
            }

            if (error != SocketError.Success)
            {
                _buffer = default;
                throw NetErrors.Create(error, "write to", _socket);
            }

            _written += n;
            _buffer = _buffer.Slice(n);
            if (!_all || _buffer.IsEmpty)
            {
                result = _written;
                _buffer = default;
                return true;
            }
        }
    }
}
