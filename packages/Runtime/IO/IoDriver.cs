using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using Spindle.Internal;

namespace Spindle.IO;

/// <summary>
/// The runtime's reactor: a readiness backend (epoll, or the portable one) plus the registry of
/// registered resources. The worker that parks on the runtime's driver calls <see cref="Poll"/>,
/// which blocks in the backend and dispatches readiness to the resources; there is no I/O thread.
/// </summary>
/// <remarks>
/// Registry: a slab of <see cref="ScheduledIo"/> indexed by the low 32 bits of a key whose high bits
/// are a generation, so an event for a resource that was deregistered (and whose index was reused)
/// is recognised as stale and dropped. Lookups during dispatch take no lock.
/// </remarks>
internal abstract class IoDriver : IDisposable
{
    private readonly Lock _registryLock = new();
    private readonly Stack<int> _freeIndexes = new();
    private ScheduledIo?[] _slab = new ScheduledIo?[64];
    private uint[] _generations = new uint[64];
    private int _used;
    private int _tick;
    private volatile bool _shutdown;

    // Uses of the OS resources (two per use) and, in bit 0, Dispose's mark.
    private const int Released = 1;
    private int _useState;
    private int _released;

    /// <summary>Creates the backend <paramref name="backend"/> asks for.</summary>
    public static IoDriver Create(IoBackend backend)
    {
        if (backend == IoBackend.Epoll && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The epoll I/O backend exists on Linux only. Use IoBackend.Auto or IoBackend.Portable on this operating system.");
        }

        if (backend != IoBackend.Portable && OperatingSystem.IsLinux())
        {
            return new EpollDriver();
        }

        return new PortableIoDriver();
    }

    /// <summary>Which backend this is.</summary>
    public abstract IoBackend Backend { get; }

    public bool IsShutdown => _shutdown;

    /// <summary>Registered resources (tests and listings).</summary>
    public int RegistrationCount => Volatile.Read(ref _used);

    /// <summary>The tick of the current driver turn (15 bits, wrapping).</summary>
    protected int CurrentTick => _tick;

    /// <summary>Registers a socket or a descriptor and returns its readiness state.</summary>
    public ScheduledIo Register(Socket? socket, SafeHandle? handle, string description)
    {
        if (_shutdown)
        {
            throw ThrowHelper.IoShutDown(description);
        }

        var io = new ScheduledIo(this, socket, handle, description);
        lock (_registryLock)
        {
            int index;
            if (!_freeIndexes.TryPop(out index))
            {
                index = _used;
                if (index == _slab.Length)
                {
                    Array.Resize(ref _generations, index * 2);
                    ScheduledIo?[] grown = new ScheduledIo?[index * 2];
                    Array.Copy(_slab, grown, index);
                    Volatile.Write(ref _slab, grown);
                }
            }

            io.Key = (ulong)(uint)index | ((ulong)_generations[index] << 32);
            Volatile.Write(ref _slab[index], io);
            _used++;
        }

        try
        {
            AddToBackend(io);
        }
        catch
        {
            Release(io);
            throw;
        }

        return io;
    }

    /// <summary>Removes a resource: the backend forgets it and its waiters fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Deregister(ScheduledIo io)
    {
        if (Release(io))
        {
            RemoveFromBackend(io);
        }

        io.Fail(shutdown: false);
    }

    private bool Release(ScheduledIo io)
    {
        lock (_registryLock)
        {
            int index = (int)(uint)io.Key;
            if (!ReferenceEquals(_slab[index], io))
            {
                return false;
            }

            _slab[index] = null;
            _generations[index]++;
            _freeIndexes.Push(index);
            _used--;
            return true;
        }
    }

    /// <summary>The live resource for <paramref name="key"/>, or null if it was deregistered.</summary>
    protected ScheduledIo? Lookup(ulong key)
    {
        ScheduledIo?[] slab = Volatile.Read(ref _slab);
        int index = (int)(uint)key;
        if ((uint)index >= (uint)slab.Length)
        {
            return null;
        }

        ScheduledIo? io = Volatile.Read(ref slab[index]);
        return io is not null && io.Key == key ? io : null;
    }

    /// <summary>Registered resources, copied under the lock (portable poll list, shutdown).</summary>
    protected void CopyRegistrations(List<ScheduledIo> into)
    {
        lock (_registryLock)
        {
            ScheduledIo?[] slab = _slab;
            for (int i = 0; i < slab.Length; i++)
            {
                if (slab[i] is ScheduledIo io)
                {
                    into.Add(io);
                }
            }
        }
    }

    /// <summary>
    /// Starts a driver turn: the tick that readiness found in this turn carries. Never 0, the tick of a new
    /// registration's initial readiness: a turn at 0 (once per wrap) could set bits that the first
    /// <see cref="ScheduledIo.ClearReadiness"/> of that initial readiness then cleared as if already seen.
    /// </summary>
    protected int NextTick()
    {
        int next = (_tick + 1) & ScheduledIo.TickMask;
        _tick = next == 0 ? 1 : next;
        return _tick;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (0: just look, <see cref="Timeout.Infinite"/>: until
    /// woken) for readiness and dispatches it. Returns how many resources became ready (0 once
    /// disposed). One thread at a time.
    /// </summary>
    public int Poll(int timeoutMs)
    {
        if (!TryEnterUse())
        {
            return 0;
        }

        try
        {
            return PollBackend(timeoutMs);
        }
        finally
        {
            ExitUse();
        }
    }

    /// <summary><see cref="Poll"/> with the OS resources held (see <see cref="TryEnterUse"/>).</summary>
    protected abstract int PollBackend(int timeoutMs);

    /// <summary>Makes a blocked or the next <see cref="Poll"/> return at once. Any thread.</summary>
    public abstract void Wake();

    /// <summary>A resource lost readiness, so it must be watched again (the portable backend rebuilds its lists).</summary>
    public virtual void OnReadinessCleared(ScheduledIo io)
    {
    }

    protected abstract void AddToBackend(ScheduledIo io);

    protected abstract void RemoveFromBackend(ScheduledIo io);

    /// <summary>Runtime shutdown: every registration fails now (waiters wake with the shutdown error), later registrations are refused.</summary>
    public void Shutdown()
    {
        _shutdown = true;
        var all = new List<ScheduledIo>();
        CopyRegistrations(all);
        foreach (ScheduledIo io in all)
        {
            io.Fail(shutdown: true);
        }
    }

    /// <summary>
    /// Lets the backend's OS resources go (the epoll and eventfd descriptors, the wake sockets).
    /// A thread still inside the driver (a worker that shutdown stopped waiting for, blocked in
    /// <see cref="Poll"/>, or a late <see cref="Wake"/>) keeps them until it leaves: they are
    /// released by whichever comes last, this call or that thread's exit. Closing them under it
    /// would make it read a disposed socket (an unhandled exception on a worker thread) or use a
    /// descriptor number the process may already have reused for another file.
    /// </summary>
    public void Dispose()
    {
        // A poll blocked in the kernel returns now, and with it the last use.
        Wake();
        int before = Interlocked.Or(ref _useState, Released);
        if (before == 0)
        {
            ReleaseOnce();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Threads inside the driver's OS resources (tests).</summary>
    internal int ActiveUses => Volatile.Read(ref _useState) >> 1;

    /// <summary>Whether the OS resources are gone (tests).</summary>
    internal bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>
    /// Enters a use of the backend's OS resources; false once <see cref="Dispose"/> has begun (the
    /// caller then does nothing). Every true is paired with one <see cref="ExitUse"/>.
    /// </summary>
    internal bool TryEnterUse()
    {
        if ((Interlocked.Add(ref _useState, 2) & Released) == 0)
        {
            return true;
        }

        ExitUse();
        return false;
    }

    internal void ExitUse()
    {
        if (Interlocked.Add(ref _useState, -2) == Released)
        {
            ReleaseOnce();
        }
    }

    /// <summary>From a finalizer: nobody can be inside an unreachable driver.</summary>
    protected void ReleaseFromFinalizer() => ReleaseOnce();

    private void ReleaseOnce()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            ReleaseResources();
        }
    }

    /// <summary>Closes the backend's OS resources; called once, with no thread inside them.</summary>
    protected abstract void ReleaseResources();
}
