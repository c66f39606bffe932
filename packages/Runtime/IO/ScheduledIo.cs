using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;
using Spindle.Sync;

namespace Spindle.IO;

/// <summary>
/// The driver's state for one registered resource (tokio's <c>ScheduledIo</c>): the readiness word,
/// the waiters of <see cref="IoRegistration.ReadinessAsync"/> and the two reserved slots for
/// stream-style operations (<see cref="IoOperation{TResult}"/>).
/// </summary>
/// <remarks>
/// <para>
/// Readiness word (one int, updated with CAS): bits 0-5 are <see cref="Ready"/>, bits 16-30 the driver
/// tick of the last update, bit 31 the shutdown bit. The driver ORs bits in with its current tick;
/// <see cref="ClearReadiness"/> clears only if the tick is still the one the caller saw, so readiness
/// that arrived after the caller's wake-up survives. Closed bits are never cleared.
/// </para>
/// <para>
/// No lost wake-up: the driver sets the bits first and then takes <see cref="_lock"/> to collect
/// waiters; a waiter re-reads the word under the same lock before it queues. Either the waiter sees
/// the bits, or the driver sees the waiter. Waiters are completed after the lock is released, as one
/// chain (the "batch outside the lock" of DESIGN.md §4; the chain is intrusive, so any batch size
/// costs nothing).
/// </para>
/// <para>
/// A new registration starts Readable | Writable: the first operation simply tries the system call,
/// and only a "would block" makes it wait. That spares a fresh connection a driver turn before its
/// first write (tokio starts at zero and waits for epoll's initial edge instead).
/// </para>
/// </remarks>
internal sealed class ScheduledIo : IWaitOwner, IWaitResult<ReadyEvent>
{
    internal const int ReadyMask = 0x3F;
    internal const int ClosedBits = (int)(Ready.ReadClosed | Ready.WriteClosed);
    internal const int TickShift = 16;
    internal const int TickMask = 0x7FFF;
    internal const int ShutdownBit = unchecked((int)0x8000_0000);
    private const int InitialReadiness = (int)(Ready.Readable | Ready.Writable);

    private const int FailureNone = 0;
    private const int FailureDisposed = 1;
    private const int FailureShutdown = 2;

    private readonly Lock _lock = new();
    private int _readiness = InitialReadiness;
    private int _failure;
    // Mutable struct: never readonly.
    private WaitQueue _waiters;
    private IIoSlot? _reader;
    private IIoSlot? _writer;

    public ScheduledIo(IoDriver driver, Socket? socket, SafeHandle? handle, string description)
    {
        Driver = driver;
        Socket = socket;
        Handle = handle;
        Description = description;
    }

    public IoDriver Driver { get; }

    /// <summary>The socket (portable backend and sockets on epoll), or null for a raw descriptor.</summary>
    public Socket? Socket { get; }

    /// <summary>The descriptor of an <see cref="AsyncFd"/>, or null for a socket.</summary>
    public SafeHandle? Handle { get; }

    /// <summary>For listings: what the resource is.</summary>
    public string Description { get; }

    /// <summary>The backend's key for this registration (slab index and generation).</summary>
    public ulong Key { get; set; }

    public bool IsFailed => Volatile.Read(ref _failure) != FailureNone;

    /// <summary>The readiness bits that satisfy <paramref name="interest"/> (tokio's <c>Ready::from_interest</c>).</summary>
    public static int MaskOf(Interest interest)
    {
        int mask = 0;
        if ((interest & Interest.Readable) != 0)
        {
            mask |= (int)(Ready.Readable | Ready.ReadClosed);
        }

        if ((interest & Interest.Writable) != 0)
        {
            mask |= (int)(Ready.Writable | Ready.WriteClosed);
        }

        if ((interest & Interest.Priority) != 0)
        {
            mask |= (int)(Ready.Priority | Ready.ReadClosed);
        }

        if ((interest & Interest.Error) != 0)
        {
            mask |= (int)Ready.Error;
        }

        return mask;
    }

    /// <summary>The current readiness restricted to <paramref name="mask"/>, with its tick.</summary>
    public ReadyEvent Snapshot(int mask)
    {
        int current = Volatile.Read(ref _readiness);
        return new ReadyEvent((Ready)(current & mask), (current >> TickShift) & TickMask);
    }

    /// <summary>Driver side: ORs in <paramref name="ready"/> at <paramref name="tick"/> and wakes whoever it satisfies.</summary>
    public void SetReadiness(Ready ready, int tick)
    {
        int current = Volatile.Read(ref _readiness);
        while (true)
        {
            if ((current & ShutdownBit) != 0)
            {
                return;
            }

            int next = (current & ReadyMask) | (int)ready | ((tick & TickMask) << TickShift);
            int seen = Interlocked.CompareExchange(ref _readiness, next, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        Wake((int)ready);
    }

    /// <summary>Clears the bits of <paramref name="observed"/> unless the driver set readiness again since (tick changed).</summary>
    public void ClearReadiness(ReadyEvent observed)
    {
        int clear = (int)observed.Ready & ReadyMask & ~ClosedBits;
        if (clear == 0)
        {
            return;
        }

        int current = Volatile.Read(ref _readiness);
        while (true)
        {
            if (((current >> TickShift) & TickMask) != observed.Tick)
            {
                return;
            }

            int seen = Interlocked.CompareExchange(ref _readiness, current & ~clear, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        Driver.OnReadinessCleared(this);
    }

    /// <summary>
    /// Waits until the resource is ready for <paramref name="interest"/>; <paramref name="producer"/>
    /// turns the outcome into what the caller hands out (a <see cref="ReadyEvent"/>, an AsyncFd guard).
    /// </summary>
    public ValueTask<TResult> ReadinessAsync<TResult>(Interest interest, IWaitResult<TResult> producer, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        int mask = MaskOf(interest);
        ThrowIfFailed();
        if ((Volatile.Read(ref _readiness) & mask) == 0)
        {
            lock (_lock)
            {
                ThrowIfFailed();
                if ((Volatile.Read(ref _readiness) & mask) == 0)
                {
                    var waiter = SyncWaiter<TResult>.Rent(this, producer, (int)interest);
                    short token = waiter.Begin(file, line, member);
                    _waiters.EnqueueLocked(waiter);
                    waiter.RegisterCancellation(cancellationToken);
                    return new ValueTask<TResult>(waiter, token);
                }
            }
        }

        if (Coop.TryConsume())
        {
            return new ValueTask<TResult>(producer.Produce(true, (int)interest));
        }

        // Out of budget: give way first; the readiness is reported (afresh) in the next poll.
        var deferred = SyncWaiter<TResult>.Rent(this, producer, (int)interest);
        short deferredToken = deferred.Begin(file, line, member);
        TaskCore.Current!.EnqueueYield(s_completeAfterYield, deferred);
        return new ValueTask<TResult>(deferred, deferredToken);
    }

    private static readonly Action<object?> s_completeAfterYield = static state => ((SyncWaiter)state!).Complete(true);

    /// <summary>
    /// Puts <paramref name="slot"/> in its reserved slot unless readiness for it is already there (then
    /// the caller runs it again), a cancellation is pending, or another operation holds the slot.
    /// </summary>
    /// <param name="slot">The operation.</param>
    /// <param name="mask">Its direction's readiness bits.</param>
    /// <param name="startsWait">
    /// True from the operation's start, after it began its wait: forgets, under the lock that cancellers
    /// take, any cancellation recorded for an earlier wait (see <see cref="TryDisarm"/>).
    /// </param>
    public SlotArm TryArm(IIoSlot slot, int mask, bool startsWait = false)
    {
        lock (_lock)
        {
            if (startsWait)
            {
                slot.ClearCancel();
            }

            if (IsFailed)
            {
                return SlotArm.Failed;
            }

            if (slot.CancelRequested)
            {
                return SlotArm.Cancelled;
            }

            if ((Volatile.Read(ref _readiness) & mask) != 0)
            {
                return SlotArm.Ready;
            }

            ref IIoSlot? place = ref slot.IsWrite ? ref _writer : ref _reader;
            if (place is not null && !ReferenceEquals(place, slot))
            {
                return SlotArm.Busy;
            }

            place = slot;
            return SlotArm.Armed;
        }
    }

    /// <summary>
    /// Cancellation: takes <paramref name="slot"/> out of its reserved slot if it is still there (the
    /// caller then completes the wait); if it is running instead, records <paramref name="error"/> for it
    /// to honour before it re-arms. With a <paramref name="version"/>, does nothing unless that is still the
    /// operation's wait: the check and the effect happen under this lock, and a new wait clears a recorded
    /// cancellation under it too (<see cref="TryArm"/>, <see cref="ClearCancel"/>), after it began. So a
    /// canceller that read the version of a wait that has since ended can reach neither the next wait's
    /// slot nor its running attempt, whichever side of the new wait's start it takes the lock.
    /// </summary>
    public bool TryDisarm(IIoSlot slot, short? version, Exception error)
    {
        lock (_lock)
        {
            if (version is { } expected && !slot.IsWait(expected))
            {
                return false;
            }

            ref IIoSlot? place = ref slot.IsWrite ? ref _writer : ref _reader;
            if (!ReferenceEquals(place, slot))
            {
                slot.RequestCancel(error);
                return false;
            }

            place = null;
            return true;
        }
    }

    /// <summary>Forgets a cancellation recorded for an earlier wait of <paramref name="slot"/>, which began a new one without arming.</summary>
    public void ClearCancel(IIoSlot slot)
    {
        lock (_lock)
        {
            slot.ClearCancel();
        }
    }

    /// <summary>Wakes the waiters and slots that <paramref name="ready"/> satisfies; runs the slots on this thread.</summary>
    private void Wake(int ready)
    {
        WaitNode? chain = null;
        WaitNode? last = null;
        IIoSlot? reader = null;
        IIoSlot? writer = null;
        lock (_lock)
        {
            if ((ready & MaskOf(Interest.Readable)) != 0)
            {
                reader = _reader;
                _reader = null;
            }

            if ((ready & MaskOf(Interest.Writable)) != 0)
            {
                writer = _writer;
                _writer = null;
            }

            WaitNode? node = _waiters.Head;
            while (node is not null)
            {
                WaitNode? next = node.Next;
                if ((MaskOf((Interest)((SyncWaiter)node).Amount) & ready) != 0)
                {
                    _waiters.RemoveLocked(node);
                    if (last is null)
                    {
                        chain = node;
                    }
                    else
                    {
                        last.Next = node;
                    }

                    last = node;
                }

                node = next;
            }
        }

        SyncWaiter.CompleteChain(chain, true);
        reader?.Run();
        writer?.Run();
    }

    /// <summary>Deregistration or runtime shutdown: every waiter and slot fails now, and every later operation.</summary>
    public void Fail(bool shutdown)
    {
        WaitNode? chain;
        IIoSlot? reader;
        IIoSlot? writer;
        lock (_lock)
        {
            if (_failure != FailureNone)
            {
                return;
            }

            _failure = shutdown ? FailureShutdown : FailureDisposed;
            if (shutdown)
            {
                Interlocked.Or(ref _readiness, ShutdownBit);
            }

            chain = _waiters.DrainLocked();
            reader = _reader;
            writer = _writer;
            _reader = null;
            _writer = null;
        }

        SyncWaiter.CompleteChain(chain, false);
        reader?.Fail(FailureError());
        writer?.Fail(FailureError());
    }

    public void ThrowIfFailed()
    {
        if (IsFailed)
        {
            throw FailureError();
        }
    }

    public Exception FailureError() => Volatile.Read(ref _failure) == FailureShutdown
        ? ThrowHelper.IoShutDown(Description)
        : new ObjectDisposedException(Description, $"The I/O registration of {Description} was disposed; the resource can no longer be used with Spindle.");

    /// <summary>The event a finished wait reports (the current readiness, which may be empty if another waiter cleared it).</summary>
    public ReadyEvent Produce(bool acquired, int amount)
    {
        if (!acquired)
        {
            throw FailureError();
        }

        // The readiness may have been cleared meanwhile by another waiter; an empty set is allowed
        // (tokio does the same): the caller's operation reports "would block" and it waits again.
        return Snapshot(MaskOf((Interest)amount));
    }

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version)
    {
        lock (_lock)
        {
            return waiter.IsWait(version) && _waiters.RemoveLocked(waiter);
        }
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) =>
        ("io readiness", $"{Description} ({(Interest)waiter.Amount})");

    /// <summary>Racy count of queued readiness waiters (tests).</summary>
    internal int WaiterCount => _waiters.Count;
}

/// <summary>What <see cref="ScheduledIo.TryArm"/> did.</summary>
internal enum SlotArm
{
    Armed,
    Ready,
    Cancelled,
    Failed,
    Busy,
}

/// <summary>A stream-style operation that can sit in one of the two reserved slots of a registration.</summary>
internal interface IIoSlot
{
    bool IsWrite { get; }

    /// <summary>Set under the registration's lock by a cancellation that found the slot running, not armed.</summary>
    bool CancelRequested { get; }

    /// <summary>
    /// Under the registration's lock: whether the operation's current wait is the one of
    /// <paramref name="version"/> (a cancellation that read it for an earlier wait must not reach a later one).
    /// </summary>
    bool IsWait(short version);

    /// <summary>Under the registration's lock: records a cancellation for the running operation to honour.</summary>
    void RequestCancel(Exception error);

    /// <summary>Under the registration's lock: forgets a cancellation recorded for an earlier wait.</summary>
    void ClearCancel();

    /// <summary>Readiness arrived (or the yield ended): try the operation, complete or re-arm.</summary>
    void Run();

    void Fail(Exception error);
}
