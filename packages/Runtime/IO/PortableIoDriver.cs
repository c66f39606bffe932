using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace Spindle.IO;

/// <summary>
/// The portable backend: readiness from <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>, which .NET implements on every
/// operating system, and a loopback UDP socket to wake a blocked select.
/// </summary>
/// <remarks>
/// <para>
/// DESIGN.md §4 suggests building this on .NET's asynchronous socket operations. Those report
/// completions, not readiness: a zero-byte receive can stand for "readable", but nothing stands for
/// "writable" or "a connection is waiting to be accepted" without buffering writes and accepting
/// ahead of the caller (mio's Windows emulation), which changes semantics (a write that "succeeded"
/// can still fail; an accepted connection sits unseen). Select reports real readiness on every
/// system, so every type behaves the same on both backends; its cost is linear in the number of
/// resources that are waiting, which is acceptable for a fallback.
/// </para>
/// <para>
/// Edge semantics on a level-triggered call: a resource is put in the read (write) list only while
/// its Readable (Writable) bit is clear, that is after an operation reported "would block". A clear
/// made while another thread is blocked in select wakes it so the resource joins the next lists.
/// Only sockets can be watched (<see cref="AsyncFd"/> needs the epoll backend).
/// </para>
/// </remarks>
internal sealed class PortableIoDriver : IoDriver
{
    private const int NotPolling = 0;
    private const int Polling = 1;

    private readonly Socket _wakeReceiver;
    private readonly Socket _wakeSender;
    private readonly List<ScheduledIo> _registered = new();
    private readonly Dictionary<Socket, ScheduledIo> _bySocket = new();
    private readonly List<Socket> _read = new();
    private readonly List<Socket> _write = new();
    private readonly List<Socket> _error = new();
    private readonly byte[] _drain = new byte[64];
    private int _polling;
    private int _pollerThread;
    private int _wakePending;

    public PortableIoDriver()
    {
        _wakeReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        _wakeReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _wakeSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        _wakeSender.Connect(_wakeReceiver.LocalEndPoint!);
    }

    public override IoBackend Backend => IoBackend.Portable;

    /// <summary>Whether a poll has announced itself (tests wait for it before disposing under it).</summary>
    internal bool IsPolling => Volatile.Read(ref _polling) == Polling;

    protected override int PollBackend(int timeoutMs)
    {
        _registered.Clear();
        _read.Clear();
        _write.Clear();
        _error.Clear();

        // Announce the poll before reading the bits: a clear after this point wakes the select.
        Volatile.Write(ref _pollerThread, Environment.CurrentManagedThreadId);
        Interlocked.Exchange(ref _polling, Polling);
        CopyRegistrations(_registered);
        lock (_bySocket)
        {
            _bySocket.Clear();
            foreach (ScheduledIo io in _registered)
            {
                Socket socket = io.Socket!;
                ReadyEvent now = io.Snapshot(ScheduledIo.ReadyMask);
                bool watch = false;
                if ((now.Ready & (Ready.Readable | Ready.ReadClosed)) == 0)
                {
                    _read.Add(socket);
                    watch = true;
                }

                if ((now.Ready & (Ready.Writable | Ready.WriteClosed)) == 0)
                {
                    _write.Add(socket);
                    watch = true;
                }

                if (watch)
                {
                    // Failed connects show up here on Windows, not as writable.
                    _error.Add(socket);
                    _bySocket[socket] = io;
                }
            }
        }

        _read.Add(_wakeReceiver);
        int micro = timeoutMs < 0 ? -1 : (int)Math.Min(int.MaxValue, timeoutMs * 1000L);
        try
        {
            Socket.Select(_read, _write, _error, micro);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // A socket was closed while we watched it (its registration is going away): start over.
            Volatile.Write(ref _polling, NotPolling);
            return 0;
        }

        Volatile.Write(ref _polling, NotPolling);
        int tick = NextTick();
        int dispatched = 0;
        foreach (Socket socket in _read)
        {
            if (ReferenceEquals(socket, _wakeReceiver))
            {
                DrainWake();
                continue;
            }

            dispatched += Dispatch(socket, Ready.Readable, tick);
        }

        foreach (Socket socket in _write)
        {
            dispatched += Dispatch(socket, Ready.Writable, tick);
        }

        foreach (Socket socket in _error)
        {
            dispatched += Dispatch(socket, Ready.Readable | Ready.Writable | Ready.Error, tick);
        }

        return dispatched;
    }

    private int Dispatch(Socket socket, Ready ready, int tick)
    {
        if (_bySocket.TryGetValue(socket, out ScheduledIo? io) && !io.IsFailed)
        {
            io.SetReadiness(ready, tick);
            return 1;
        }

        return 0;
    }

    private void DrainWake()
    {
        // Wake sends a datagram only when it sets the flag, so at most one is in flight while the flag
        // is set: read it, then clear the flag (a full fence, so what the waker published before its
        // wake is seen after this poll). Clearing first let a wake landing in between send a second
        // datagram that this drain read too, leaving the flag set with nothing in flight: every later
        // Wake did nothing. A datagram still in transit here only costs the next poll a spurious wake.
        if (_wakeReceiver.Available > 0)
        {
            _wakeReceiver.Receive(_drain, SocketFlags.None, out SocketError _);
        }

        Interlocked.Exchange(ref _wakePending, 0);
    }

    public override void Wake()
    {
        // One datagram in flight is enough to end a select; more would only need draining.
        if (Interlocked.Exchange(ref _wakePending, 1) == 0 && TryEnterUse())
        {
            try
            {
                _wakeSender.Send(_drain.AsSpan(0, 1), SocketFlags.None, out SocketError _);
            }
            finally
            {
                ExitUse();
            }
        }
    }

    public override void OnReadinessCleared(ScheduledIo io)
    {
        if (Volatile.Read(ref _polling) == Polling && Volatile.Read(ref _pollerThread) != Environment.CurrentManagedThreadId)
        {
            Wake();
        }
    }

    protected override void AddToBackend(ScheduledIo io)
    {
        if (io.Socket is null)
        {
            throw new NotSupportedException(
                $"The portable I/O backend watches sockets only, so {io.Description} cannot be registered. Use the epoll backend (RuntimeBuilder.IoBackend(IoBackend.Epoll), the default on Linux) for AsyncFd.");
        }

        // A new resource starts ready (see ScheduledIo), so the next select needs no wake for it.
    }

    protected override void RemoveFromBackend(ScheduledIo io)
    {
        // The next poll rebuilds its lists from the registry; wake a blocked select so it lets go of the socket.
        if (Volatile.Read(ref _polling) == Polling)
        {
            Wake();
        }
    }

    protected override void ReleaseResources()
    {
        _wakeSender.Dispose();
        _wakeReceiver.Dispose();
    }
}
