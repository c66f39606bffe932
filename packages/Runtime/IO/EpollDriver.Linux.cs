using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Spindle.Interop.Linux;

namespace Spindle.IO;

/// <summary>
/// The Linux backend: one epoll instance, every resource registered once, edge-triggered, for all
/// of read, write, priority and hang-up; an eventfd wakes a blocked <c>epoll_wait</c>; 1,024 events
/// per turn (DESIGN.md §4).
/// </summary>
/// <remarks>
/// The eventfd is registered edge-triggered and never read: every write is a new edge, so a wake
/// costs one system call, and its counter (2^64 - 2) cannot fill in practice (mio does the same and
/// resets it on EAGAIN, as <see cref="Wake"/> does). <c>epoll_event</c> is packed (12 bytes) on
/// x86-64 and naturally aligned (16 bytes) elsewhere, so the events buffer is read by stride.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe class EpollDriver : IoDriver
{
    private const int MaxEvents = 1024;
    private const ulong WakeKey = ulong.MaxValue;
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _epoll;
    private readonly int _eventFd;
    // Pinned managed buffer: freed by the GC, never while a poll that writes into it holds a reference.
    private readonly byte[] _eventBuffer;
    private readonly byte* _events;

    public EpollDriver()
    {
        _epoll = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw Error("epoll_create1", "creating the runtime's epoll instance");
        }

        _eventFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_eventFd < 0)
        {
            IOException error = Error("eventfd", "creating the runtime's wake-up eventfd");
            Libc.Close(_epoll);
            throw error;
        }

        Control(Libc.EPOLL_CTL_ADD, _eventFd, Libc.EPOLLIN | Libc.EPOLLET, WakeKey, "the wake-up eventfd");
        _eventBuffer = GC.AllocateUninitializedArray<byte>(MaxEvents * s_eventSize, pinned: true);
        _events = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_eventBuffer));
    }

    public override IoBackend Backend => IoBackend.Epoll;

    protected override int PollBackend(int timeoutMs)
    {
        int count = Libc.EpollWait(_epoll, _events, MaxEvents, timeoutMs);
        if (count < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR || IsShutdown)
            {
                return 0;
            }

            throw Error("epoll_wait", "waiting for I/O readiness", errno);
        }

        int tick = NextTick();
        int dispatched = 0;
        for (int i = 0; i < count; i++)
        {
            byte* ev = _events + (i * s_eventSize);
            uint flags = *(uint*)ev;
            ulong key = *(ulong*)(ev + s_dataOffset);
            if (key == WakeKey)
            {
                continue;
            }

            ScheduledIo? io = Lookup(key);
            if (io is null)
            {
                continue;
            }

            io.SetReadiness(ToReady(flags), tick);
            dispatched++;
        }

        return dispatched;
    }

    /// <summary>epoll flags to <see cref="Ready"/>, as mio and tokio map them.</summary>
    internal static Ready ToReady(uint flags)
    {
        Ready ready = Ready.None;
        if ((flags & (Libc.EPOLLIN | Libc.EPOLLPRI)) != 0)
        {
            ready |= Ready.Readable;
        }

        if ((flags & Libc.EPOLLOUT) != 0)
        {
            ready |= Ready.Writable;
        }

        if ((flags & Libc.EPOLLHUP) != 0 || ((flags & Libc.EPOLLIN) != 0 && (flags & Libc.EPOLLRDHUP) != 0))
        {
            ready |= Ready.ReadClosed;
        }

        if ((flags & Libc.EPOLLHUP) != 0 || ((flags & Libc.EPOLLOUT) != 0 && (flags & Libc.EPOLLERR) != 0) || flags == Libc.EPOLLERR)
        {
            ready |= Ready.WriteClosed;
        }

        if ((flags & Libc.EPOLLPRI) != 0)
        {
            ready |= Ready.Priority;
        }

        if ((flags & Libc.EPOLLERR) != 0)
        {
            ready |= Ready.Error;
        }

        return ready;
    }

    public override void Wake()
    {
        if (!TryEnterUse())
        {
            // Disposed: nobody parks here any more, and the descriptor number may belong to another file now.
            return;
        }

        try
        {
            WriteWake();
        }
        finally
        {
            ExitUse();
        }
    }

    private void WriteWake()
    {
        ulong one = 1;
        while (Libc.Write(_eventFd, &one, sizeof(ulong)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                // The counter is full (never in practice): drain it and write again.
                ulong drained;
                Libc.Read(_eventFd, &drained, sizeof(ulong));
                continue;
            }

            if (errno != Libc.EINTR)
            {
                return;
            }
        }
    }

    protected override void AddToBackend(ScheduledIo io)
    {
        if (!TryEnterUse())
        {
            throw new ObjectDisposedException(io.Description, $"Cannot register {io.Description}: the runtime's I/O driver was shut down.");
        }

        try
        {
            Control(Libc.EPOLL_CTL_ADD, FdOf(io), Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLPRI | Libc.EPOLLRDHUP | Libc.EPOLLET, io.Key, io.Description);
        }
        finally
        {
            ExitUse();
        }
    }

    protected override void RemoveFromBackend(ScheduledIo io)
    {
        if (!TryEnterUse())
        {
            // Disposed: the epoll instance is gone, and every descriptor with it.
            return;
        }

        try
        {
            RemoveEntered(io);
        }
        finally
        {
            ExitUse();
        }
    }

    private void RemoveEntered(ScheduledIo io)
    {
        SafeHandle handle = (SafeHandle?)io.Socket?.SafeHandle ?? io.Handle!;
        if (handle.IsClosed)
        {
            // Closing the descriptor already removed it from the epoll set.
            return;
        }

        byte* ev = stackalloc byte[16];
        // A descriptor closed meanwhile is already gone from the set (EBADF/ENOENT): nothing to undo.
        Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, (int)handle.DangerousGetHandle(), ev);
    }

    private static int FdOf(ScheduledIo io)
    {
        SafeHandle handle = (SafeHandle?)io.Socket?.SafeHandle ?? io.Handle!;
        if (handle.IsClosed || handle.IsInvalid)
        {
            throw new ObjectDisposedException(io.Description, $"Cannot register {io.Description} with the I/O driver: its handle is closed.");
        }

        return (int)handle.DangerousGetHandle();
    }

    private void Control(int op, int fd, uint events, ulong key, string what)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + s_dataOffset) = key;
        if (Libc.EpollCtl(_epoll, op, fd, ev) < 0)
        {
            throw Error("epoll_ctl", $"registering {what} with the I/O driver");
        }
    }

    private static IOException Error(string call, string doing, int errno = -1)
    {
        if (errno < 0)
        {
            errno = Marshal.GetLastPInvokeError();
        }

        return new IOException($"{call} failed while {doing}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
    }

    protected override void ReleaseResources()
    {
        Libc.Close(_eventFd);
        Libc.Close(_epoll);
    }

    ~EpollDriver() => ReleaseFromFinalizer();
}
