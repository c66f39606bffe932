using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// The state a watch channel's sender and receivers share: the latest value, its version, the
/// receivers waiting for a newer version and the senders waiting for every receiver to go.
/// </summary>
/// <remarks>
/// <para>
/// Invariants (under <c>_lock</c>): <c>_version</c> grows by one with every stored value and never
/// goes back; a receiver (<see cref="WatchCursor{T}"/>) remembers the version it has seen, and a
/// newer value exists for it exactly when the two differ. <c>_value</c> and <c>_version</c> change
/// together under the lock, so a borrow never sees one without the other.
/// </para>
/// <para>
/// Receiver wait: idle → queued in <c>_changeWaiters</c> (nothing newer, sender alive) → unlinked by
/// exactly one of {a store, the sender's dispose, the receiver's dispose, cancellation} → completed by
/// that unlinker after the lock is released → GetResult compares versions under the lock: newer →
/// mark seen, true; otherwise the sender is gone (or the receiver disposed) → false. A value stored
/// and then the sender disposed is therefore still reported (true) before false.
/// </para>
/// <para>
/// Sender wait (<c>ClosedAsync</c>): pooled <see cref="SyncWaiter"/>s in <c>_closedWaiters</c>,
/// released when the receiver count drops to zero or the sender is disposed.
/// </para>
/// <para>
/// Close: 1. the sender's dispose sets <c>_closed</c> and drains both queues under the lock;
/// 2. woken receivers report the final value if they had not seen it, then false from then on;
/// 3. every store checks <c>_closed</c> under the lock, so nothing is stored after the close.
/// </para>
/// <para>
/// User code: modifiers (<c>SendModify</c>, <c>SendIfModified</c>) run under <c>_lock</c>, on the
/// sending thread, against a copy of the value that is stored only if they return normally; waits
/// are completed after the lock is released. Predicates (<c>WaitForAsync</c>) run on the receiving
/// task outside the lock, on a snapshot.
/// </para>
/// </remarks>
internal sealed class WatchChannel<T> : IWaitOwner
{
    private readonly Lock _lock = new();
    // Mutable structs: never readonly.
    private WaitQueue _changeWaiters;
    private WaitQueue _closedWaiters;
    private T _value;
    private long _version;
    private int _receiverCount;
    private bool _closed;

    public WatchChannel(T initial) => _value = initial;

    // Racy snapshot for properties and listings; written under _lock.
    public int ReceiverCount => Volatile.Read(ref _receiverCount);

    // Racy snapshot for properties; written under _lock.
    public bool IsClosed => Volatile.Read(ref _closed);

    // Racy snapshot for listings; written with Volatile.Write under _lock.
    private long VersionSnapshot => Volatile.Read(ref _version);

    public WatchCursor<T> Subscribe()
    {
        var cursor = new WatchCursor<T>(this);
        lock (_lock)
        {
            // tokio's subscribe: the current value counts as seen.
            cursor.Seen = _version;
            _receiverCount++;
        }

        return cursor;
    }

    public WatchCursor<T> Clone(WatchCursor<T> source)
    {
        var cursor = new WatchCursor<T>(this);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(source.IsDisposed, typeof(WatchReceiver<T>));
            cursor.Seen = source.Seen;
            _receiverCount++;
        }

        return cursor;
    }

    /// <summary>Stores <paramref name="value"/> only if some receiver exists (tokio's <c>send</c>).</summary>
    public bool Send(T value)
    {
        WaitNode? woken;
        lock (_lock)
        {
            EnsureOpenLocked();
            if (_receiverCount == 0)
            {
                return false;
            }

            _value = value;
            woken = PublishLocked();
        }

        WatchCursor<T>.CompleteChain(woken);
        return true;
    }

    public T SendReplace(T value)
    {
        WaitNode? woken;
        T old;
        lock (_lock)
        {
            EnsureOpenLocked();
            old = _value;
            _value = value;
            woken = PublishLocked();
        }

        WatchCursor<T>.CompleteChain(woken);
        return old;
    }

    public void SendModify(WatchUpdater<T> update)
    {
        WaitNode? woken;
        lock (_lock)
        {
            EnsureOpenLocked();
            T copy = _value;
            update(ref copy);
            _value = copy;
            woken = PublishLocked();
        }

        WatchCursor<T>.CompleteChain(woken);
    }

    public bool SendIfModified(WatchModifier<T> modify)
    {
        WaitNode? woken;
        lock (_lock)
        {
            EnsureOpenLocked();
            T copy = _value;
            if (!modify(ref copy))
            {
                return false;
            }

            _value = copy;
            woken = PublishLocked();
        }

        WatchCursor<T>.CompleteChain(woken);
        return true;
    }

    /// <summary>The sender's dispose: closes the channel and wakes every waiter.</summary>
    public void CloseSender()
    {
        WaitNode? woken;
        WaitNode? closedWaiters;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            // Racy readers (IsClosed) only; decisions read _closed under _lock.
            Volatile.Write(ref _closed, true);
            woken = _changeWaiters.DrainLocked();
            closedWaiters = _closedWaiters.DrainLocked();
        }

        WatchCursor<T>.CompleteChain(woken);
        SyncWaiter.CompleteChain(closedWaiters, true);
    }

    public void RemoveReceiver(WatchCursor<T> cursor)
    {
        bool wasWaiting;
        WaitNode? closedWaiters = null;
        lock (_lock)
        {
            if (cursor.IsDisposed)
            {
                return;
            }

            cursor.IsDisposed = true;
            if (--_receiverCount == 0)
            {
                closedWaiters = _closedWaiters.DrainLocked();
            }

            wasWaiting = _changeWaiters.RemoveLocked(cursor);
        }

        if (wasWaiting)
        {
            // It reads false (disposed) in GetResult.
            cursor.Complete();
        }

        SyncWaiter.CompleteChain(closedWaiters, true);
    }

    /// <summary>The current value and whether it is newer than <paramref name="cursor"/> has seen; marks it seen if asked.</summary>
    public WatchRef<T> Borrow(WatchCursor<T> cursor, bool markSeen)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(cursor.IsDisposed, typeof(WatchReceiver<T>));
            bool changed = cursor.Seen != _version;
            if (markSeen)
            {
                EnsureIdleLocked(cursor, "WatchReceiver.BorrowAndUpdate");
                cursor.Seen = _version;
            }

            return new WatchRef<T>(_value, changed);
        }
    }

    /// <summary>The sender's borrow: the current value, never "changed".</summary>
    public WatchRef<T> BorrowLatest()
    {
        lock (_lock)
        {
            return new WatchRef<T>(_value, hasChanged: false);
        }
    }

    public bool HasChanged(WatchCursor<T> cursor)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(cursor.IsDisposed, typeof(WatchReceiver<T>));
            return cursor.Seen != _version;
        }
    }

    /// <summary>MarkChanged (<paramref name="changed"/>) or MarkUnchanged.</summary>
    public void Mark(WatchCursor<T> cursor, bool changed)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(cursor.IsDisposed, typeof(WatchReceiver<T>));
            EnsureIdleLocked(cursor, changed ? "WatchReceiver.MarkChanged" : "WatchReceiver.MarkUnchanged");
            // Any version other than the current one reads as "changed"; versions are never negative, so -1 can never become current.
            cursor.Seen = changed ? -1 : _version;
        }
    }

    public ValueTask<bool> ChangedAsync(WatchCursor<T> cursor, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(cursor.IsDisposed, typeof(WatchReceiver<T>));
            EnsureIdleLocked(cursor, "WatchReceiver.ChangedAsync");
            if (cursor.Seen == _version && !_closed)
            {
                short token = cursor.BeginLocked(file, line, member);
                _changeWaiters.EnqueueLocked(cursor);
                // Under the lock: a token that fires now finds the cursor queued (RemoveWaiter re-enters the lock on this thread).
                cursor.RegisterCancellation(cancellationToken);
                return new ValueTask<bool>(cursor, token);
            }

            if (Coop.TryConsume())
            {
                return new ValueTask<bool>(TakeChangeLocked(cursor));
            }
        }

        return ChangedAfterYieldAsync(cursor, file, line, member, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ChangedAfterYieldAsync(WatchCursor<T> cursor, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        return await ChangedAsync(cursor, file, line, member, cancellationToken).ConfigureAwait(true);
    }

    /// <summary>Reads the result of a completed wait (GetResult).</summary>
    public bool TakeChangeAfterWake(WatchCursor<T> cursor)
    {
        lock (_lock)
        {
            return TakeChangeLocked(cursor);
        }
    }

    /// <summary>For WaitForAsync: the current value, marked seen, and whether the sender is gone.</summary>
    public T SnapshotAndMarkSeen(WatchCursor<T> cursor, out bool changed, out bool closed)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(cursor.IsDisposed, typeof(WatchReceiver<T>));
            EnsureIdleLocked(cursor, "WatchReceiver.WaitForAsync");
            changed = cursor.Seen != _version;
            closed = _closed;
            cursor.Seen = _version;
            return _value;
        }
    }

    public ValueTask ClosedAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_receiverCount > 0 && !_closed)
            {
                SyncWaiter waiter = SyncWaiter.Rent(this, 0);
                short token = waiter.Begin(file, line, member);
                _closedWaiters.EnqueueLocked(waiter);
                // Under the lock: a token that fires now finds the waiter queued (RemoveWaiter re-enters the lock on this thread).
                waiter.RegisterCancellation(cancellationToken);
                return new ValueTask(waiter, token);
            }

            if (Coop.TryConsume())
            {
                return ValueTask.CompletedTask;
            }
        }

        return ClosedAfterYieldAsync(file, line, member, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ClosedAfterYieldAsync(string? file, int line, string? member, CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        await ClosedAsync(file, line, member, cancellationToken).ConfigureAwait(true);
    }

    public bool RemoveWaiter(WatchCursor<T> cursor, short version)
    {
        lock (_lock)
        {
            return cursor.IsWait(version) && _changeWaiters.RemoveLocked(cursor);
        }
    }

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version)
    {
        lock (_lock)
        {
            return waiter.IsWait(version) && _closedWaiters.RemoveLocked(waiter);
        }
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) =>
        ("watch.closed", $"{ReceiverCount} receivers left");

    /// <summary>For listings: racy reads, never blocks.</summary>
    public string DescribeCursor(WatchCursor<T> cursor) =>
        $"seen version {cursor.Seen}, current {VersionSnapshot}, {(IsClosed ? "sender gone" : "sender alive")}";

    private bool TakeChangeLocked(WatchCursor<T> cursor)
    {
        if (!cursor.IsDisposed && cursor.Seen != _version)
        {
            cursor.Seen = _version;
            return true;
        }

        Debug.Assert(_closed || cursor.IsDisposed, "a woken watch receiver found neither a new version nor a closed channel");
        return false;
    }

    private WaitNode? PublishLocked()
    {
        // Racy readers (listings) only; decisions read _version under _lock.
        Volatile.Write(ref _version, _version + 1);
        return _changeWaiters.DrainLocked();
    }

    /// <summary>
    /// A store racing with the sender's own dispose must not land after the close: receivers that
    /// already returned false would never see it, so it fails like any use after dispose.
    /// </summary>
    private void EnsureOpenLocked() => ObjectDisposedException.ThrowIf(_closed, typeof(WatchSender<T>));

    private static void EnsureIdleLocked(WatchCursor<T> cursor, string operation)
    {
        if (!cursor.IsIdle)
        {
            ThrowHelper.ThrowReceiverBusy(operation);
        }
    }
}
