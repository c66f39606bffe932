using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;

namespace Spindle.Net.Internal;

/// <summary>
/// The engine under <see cref="UdpSocket"/> and <see cref="UnixDatagram"/>: a non-blocking datagram
/// socket registered with the I/O driver, whose operations any number of tasks may run at once.
/// </summary>
/// <remarks>
/// <para>
/// Every asynchronous operation goes through <see cref="SharedIo"/> (try now, else wait in the
/// registration's waiter list), never through the two reserved stream slots: datagram sockets are
/// shared, and a datagram is delivered whole to exactly one receiver by the kernel, so concurrent
/// receivers need no coordination of their own.
/// </para>
/// <para>
/// The <c>Try*</c> forms take spans, so they cannot go through <see cref="IoRegistration.TryIo{TState, TResult}"/>
/// (its state cannot be a ref struct); they do the same steps by hand: look at the readiness, try
/// once, clear the readiness seen on "would block".
/// </para>
/// <para>
/// <c>ReceiveFrom</c> and <c>SendTo</c> have no non-throwing overloads in .NET, so "would block"
/// arrives as a <see cref="SocketException"/> and is caught. With edge-triggered readiness that is
/// at most one exception per wait, not one per datagram.
/// </para>
/// <para>
/// Lifetime: open → closed, once (<see cref="Close"/> or <see cref="Detach"/>). Closing disposes the
/// registration first (waiters wake with <see cref="ObjectDisposedException"/>) and then the socket,
/// as <see cref="IoRegistration"/> requires.
/// </para>
/// </remarks>
internal sealed class DatagramSocket
{
    private const int Open = 0;
    private const int Closed = 1;

    private readonly Socket _socket;
    private readonly IoRegistration _registration;
    private readonly object _owner;
    private int _state;

    private DatagramSocket(Socket socket, IoRegistration registration, object owner)
    {
        _socket = socket;
        _registration = registration;
        _owner = owner;
    }

    public Socket Socket => _socket;

    public IoRegistration Registration => _registration;

    /// <summary>Registers <paramref name="socket"/>; on failure the socket is left to the caller.</summary>
    public static DatagramSocket Register(Socket socket, RuntimeHandle runtime, object owner) =>
        new(socket, IoRegistration.Register(socket, runtime), owner);

    public void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) != Open, _owner);

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        return SharedIo.RunAsync(_registration, Interest.Writable, (this, buffer),
            static ((DatagramSocket Self, ReadOnlyMemory<byte> Buffer) s, out int n) => s.Self.AttemptSend(s.Buffer.Span, out n),
            file, line, member, cancellationToken);
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags flags, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        return SharedIo.RunAsync(_registration, Interest.Readable, (this, buffer, flags),
            static ((DatagramSocket Self, Memory<byte> Buffer, SocketFlags Flags) s, out int n) => s.Self.AttemptReceive(s.Buffer.Span, s.Flags, out n),
            file, line, member, cancellationToken);
    }

    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint remote, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        return SharedIo.RunAsync(_registration, Interest.Writable, (this, buffer, remote),
            static ((DatagramSocket Self, ReadOnlyMemory<byte> Buffer, EndPoint Remote) s, out int n) => s.Self.AttemptSendTo(s.Buffer.Span, s.Remote, out n),
            file, line, member, cancellationToken);
    }

    public ValueTask<(int Count, SocketAddress Remote)> ReceiveFromAsync(Memory<byte> buffer, SocketFlags flags,
        string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        return SharedIo.RunAsync(_registration, Interest.Readable, (this, buffer, flags),
            static ((DatagramSocket Self, Memory<byte> Buffer, SocketFlags Flags) s, out (int, SocketAddress) r) =>
            {
                bool done = s.Self.AttemptReceiveFrom(s.Buffer.Span, s.Flags, out int n, out SocketAddress remote);
                r = (n, remote);
                return done;
            },
            file, line, member, cancellationToken);
    }

    public ValueTask<Ready> ReadyAsync(Interest interest, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        ValueTask<ReadyEvent> wait = _registration.ReadinessAsync(interest, cancellationToken, file, line, member);
        return wait.IsCompletedSuccessfully ? new ValueTask<Ready>(wait.Result.Ready) : AwaitReady(wait);

        static async ValueTask<Ready> AwaitReady(ValueTask<ReadyEvent> wait) => (await wait.ConfigureAwait(false)).Ready;
    }

    public bool TrySend(ReadOnlySpan<byte> buffer, out int count)
    {
        if (!Snapshot(Interest.Writable, out ReadyEvent ready))
        {
            count = 0;
            return false;
        }

        return AttemptSend(buffer, out count) || Clear(ready);
    }

    public bool TryReceive(Span<byte> buffer, SocketFlags flags, out int count)
    {
        if (!Snapshot(Interest.Readable, out ReadyEvent ready))
        {
            count = 0;
            return false;
        }

        return AttemptReceive(buffer, flags, out count) || Clear(ready);
    }

    public bool TrySendTo(ReadOnlySpan<byte> buffer, EndPoint remote, out int count)
    {
        if (!Snapshot(Interest.Writable, out ReadyEvent ready))
        {
            count = 0;
            return false;
        }

        return AttemptSendTo(buffer, remote, out count) || Clear(ready);
    }

    public bool TryReceiveFrom(Span<byte> buffer, SocketFlags flags, out int count, out SocketAddress remote)
    {
        if (!Snapshot(Interest.Readable, out ReadyEvent ready))
        {
            count = 0;
            remote = null!;
            return false;
        }

        return AttemptReceiveFrom(buffer, flags, out count, out remote) || Clear(ready);
    }

    /// <summary>Runs a socket call that cannot block (an option, bind, connect), reporting OS errors with <paramref name="operation"/>.</summary>
    public T Call<T>(Func<Socket, T> call, string operation, EndPoint? address = null)
    {
        ThrowIfClosed();
        try
        {
            return call(_socket);
        }
        catch (SocketException e)
        {
            throw address is null ? NetErrors.Create(e.SocketErrorCode, operation, _socket) : NetErrors.Create(e.SocketErrorCode, operation, address);
        }
    }

    public void Call(Action<Socket> call, string operation, EndPoint? address = null) =>
        Call(s =>
        {
            call(s);
            return true;
        }, operation, address);

    /// <summary>Deregisters and closes the socket. Idempotent.</summary>
    public void Close()
    {
        // Exchange: exactly one caller of Close/Detach tears down; later ones see Closed.
        if (Interlocked.Exchange(ref _state, Closed) == Open)
        {
            _registration.Dispose();
            _socket.Dispose();
        }
    }

    /// <summary>Deregisters and hands the socket back, still open and non-blocking.</summary>
    public Socket Detach()
    {
        // Exchange pairs with Close: the socket is either handed back or closed, never both.
        ObjectDisposedException.ThrowIf(Interlocked.Exchange(ref _state, Closed) != Open, _owner);

        _registration.Dispose();
        return _socket;
    }

    private bool Snapshot(Interest interest, out ReadyEvent ready)
    {
        ThrowIfClosed();
        return _registration.TryGetReadiness(interest, out ready);
    }

    private bool Clear(ReadyEvent ready)
    {
        _registration.ClearReadiness(ready);
        return false;
    }

    private bool AttemptSend(ReadOnlySpan<byte> buffer, out int count)
    {
        count = _socket.Send(buffer, SocketFlags.None, out SocketError error);
        return Check(error, "send on");
    }

    private bool AttemptReceive(Span<byte> buffer, SocketFlags flags, out int count)
    {
        count = _socket.Receive(buffer, flags, out SocketError error);
        return Check(error, "receive on");
    }

    private bool AttemptSendTo(ReadOnlySpan<byte> buffer, EndPoint remote, out int count)
    {
        try
        {
            count = _socket.SendTo(buffer, SocketFlags.None, remote);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            count = 0;
            return false;
        }
        catch (SocketException e)
        {
            throw NetErrors.Create(e.SocketErrorCode, "send to", remote);
        }
    }

    private bool AttemptReceiveFrom(Span<byte> buffer, SocketFlags flags, out int count, out SocketAddress remote)
    {
        // A fresh address per attempt: concurrent receivers must not share one. ReceiveFrom sets its Size
        // to the length the kernel reported, which is how an unnamed Unix sender shows (family only).
        remote = new SocketAddress(_socket.AddressFamily, SocketAddress.GetMaximumAddressSize(_socket.AddressFamily));
        try
        {
            count = _socket.ReceiveFrom(buffer, flags, remote);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            count = 0;
            return false;
        }
        catch (SocketException e)
        {
            throw NetErrors.Create(e.SocketErrorCode, "receive on", _socket);
        }
    }

    private bool Check(SocketError error, string operation)
    {
        if (error == SocketError.WouldBlock)
        {
            return false;
        }

        if (error != SocketError.Success)
        {
            throw NetErrors.Create(error, operation, _socket);
        }

        return true;
    }
}
