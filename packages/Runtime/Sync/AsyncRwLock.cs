using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// A fair asynchronous reader-writer lock that owns the value it guards (tokio's <c>sync::RwLock</c>):
/// many readers or one writer, in arrival order, so a waiting writer is never starved by a stream
/// of readers.
/// </summary>
/// <remarks>
/// <para>Waiting is a Spindle leaf: it consumes coop budget, ends at once when the task is aborted
/// or its timeout expires, and shows in task listings as <c>rwlock.read</c> or <c>rwlock.write</c>.</para>
/// <para><b>Fairness:</b> requests are served in arrival order; readers that arrive after a waiting
/// writer wait behind it.</para>
/// <para><b>Thread safety:</b> every member is safe to call from any thread.</para>
/// <para>Design (tokio's): a <see cref="FairSemaphore"/> with <see cref="MaxReaders"/> permits; a
/// reader takes one, a writer takes all. A generation number, odd while a writer holds the lock,
/// lets guards notice use after release.</para>
/// </remarks>
/// <typeparam name="T">The type of the guarded value.</typeparam>
/// <example>
/// <code>
/// var config = new AsyncRwLock&lt;Settings&gt;(Settings.Load());
/// using (var read = await config.ReadAsync()) { Use(read.Value); }
/// using (var write = await config.WriteAsync()) { write.Value = Settings.Load(); }
/// </code>
/// </example>
public sealed class AsyncRwLock<T> : IWaitResult<AsyncRwLockReadGuard<T>>, IWaitResult<AsyncRwLockWriteGuard<T>>
{
    /// <summary>The default and largest number of concurrent readers (tokio's <c>MAX_READS</c>).</summary>
    public const int DefaultMaxReaders = int.MaxValue >> 3;

    private readonly FairSemaphore _core;
    private T _value;
    // Bumped when a writer acquires (odd) and when it releases (even); written only by the writer.
    private long _generation;

    /// <summary>Creates an unlocked lock guarding <paramref name="value"/>.</summary>
    /// <param name="value">The value to guard.</param>
    /// <param name="maxReaders">How many readers may hold the lock at once (1 to <see cref="DefaultMaxReaders"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxReaders"/> is out of range.</exception>
    public AsyncRwLock(T value, int maxReaders = DefaultMaxReaders)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxReaders);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxReaders, DefaultMaxReaders);
        _value = value;
        MaxReaders = maxReaders;
        _core = new FairSemaphore(maxReaders, "rwlock.read", maxReaders, "rwlock.write");
    }

    /// <summary>Gets how many readers may hold the lock at once.</summary>
    public int MaxReaders { get; }

    /// <summary>Waits for shared (read) access.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The read guard; dispose it exactly once to release.</returns>
    /// <remarks>
    /// <para><b>Cancellation:</b> a cancelled wait takes no access and leaves the queue; waiters it
    /// was holding back are served.</para>
    /// </remarks>
    public ValueTask<AsyncRwLockReadGuard<T>> ReadAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        return _core.AcquireAsync<AsyncRwLockReadGuard<T>>(1, this, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    // The lock never closes, so every wait that ends without an exception acquired it.
    AsyncRwLockReadGuard<T> IWaitResult<AsyncRwLockReadGuard<T>>.Produce(bool acquired, int amount) => new(this, Volatile.Read(ref _generation));

    AsyncRwLockWriteGuard<T> IWaitResult<AsyncRwLockWriteGuard<T>>.Produce(bool acquired, int amount) => EnterWrite();

    /// <summary>Waits for exclusive (write) access.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The write guard; dispose it to release.</returns>
    /// <remarks>
    /// <para><b>Cancellation:</b> a cancelled wait takes no access and leaves the queue; readers
    /// queued behind it are served at once if the lock allows.</para>
    /// </remarks>
    public ValueTask<AsyncRwLockWriteGuard<T>> WriteAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        return _core.AcquireAsync<AsyncRwLockWriteGuard<T>>(MaxReaders, this, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Takes read access if it is free and nobody is queued; never waits.</summary>
    /// <param name="guard">The read guard, when taken.</param>
    /// <returns>Whether access was taken.</returns>
    public bool TryRead(out AsyncRwLockReadGuard<T> guard)
    {
        bool taken = _core.TryAcquire(1);
        guard = taken ? new AsyncRwLockReadGuard<T>(this, Volatile.Read(ref _generation)) : default;
        return taken;
    }

    /// <summary>Takes write access if the lock is free and nobody is queued; never waits.</summary>
    /// <param name="guard">The write guard, when taken.</param>
    /// <returns>Whether access was taken.</returns>
    public bool TryWrite(out AsyncRwLockWriteGuard<T> guard)
    {
        bool taken = _core.TryAcquire(MaxReaders);
        guard = taken ? EnterWrite() : default;
        return taken;
    }

    /// <summary>Waits for read access from synchronous code outside the runtime (tokio's <c>blocking_read</c>).</summary>
    /// <returns>The read guard.</returns>
    /// <exception cref="InvalidOperationException">Called on a runtime thread.</exception>
    public AsyncRwLockReadGuard<T> BlockingRead()
    {
        BlockingWait.EnsureOffRuntime(nameof(BlockingRead));
        return BlockingWait.Wait(ReadAsync());
    }

    /// <summary>Waits for write access from synchronous code outside the runtime (tokio's <c>blocking_write</c>).</summary>
    /// <returns>The write guard.</returns>
    /// <exception cref="InvalidOperationException">Called on a runtime thread.</exception>
    public AsyncRwLockWriteGuard<T> BlockingWrite()
    {
        BlockingWait.EnsureOffRuntime(nameof(BlockingWrite));
        return BlockingWait.Wait(WriteAsync());
    }

    private AsyncRwLockWriteGuard<T> EnterWrite()
    {
        long generation = _generation + 1;
        // Odd while the writer holds the lock, so read guards from before see a different generation.
        Volatile.Write(ref _generation, generation);
        return new AsyncRwLockWriteGuard<T>(this, generation);
    }

    internal ref T ValueOf(long generation, string guard)
    {
        if (generation != Volatile.Read(ref _generation))
        {
            ThrowHelper.ThrowGuardReleased(guard);
        }

        return ref _value;
    }

    internal void ReleaseRead(long generation)
    {
        // A reader that held the lock kept writers out, so a changed generation means this guard was already released.
        // A second Dispose of the same guard (or of a copy: the guard is a struct, copies share nothing) with
        // no writer in between cannot be told from another reader's release while other readers hold the
        // lock. It is caught when it would free more than MaxReaders permits, and then releases nothing.
        if (generation == Volatile.Read(ref _generation) && !_core.TryRelease(1, MaxReaders, out int available))
        {
            ThrowHelper.ThrowReleasedTwice(1, available, MaxReaders);
        }
    }

    internal void ReleaseWrite(long generation)
    {
        if (generation != Volatile.Read(ref _generation))
        {
            return;
        }

        // Published before the permits are released (the release takes the semaphore's lock).
        Volatile.Write(ref _generation, generation + 1);
        _core.Release(MaxReaders);
    }

    internal AsyncRwLockReadGuard<T> Downgrade(long generation)
    {
        if (generation != Volatile.Read(ref _generation))
        {
            ThrowHelper.ThrowGuardReleased(nameof(AsyncRwLockWriteGuard<T>));
        }

        Volatile.Write(ref _generation, generation + 1);
        // Keep one permit as the reader's; the rest let queued readers in (writers still wait for it).
        if (MaxReaders > 1)
        {
            _core.Release(MaxReaders - 1);
        }

        return new AsyncRwLockReadGuard<T>(this, generation + 1);
    }

    /// <inheritdoc/>
    public override string ToString() => $"AsyncRwLock<{typeof(T).Name}>({_core.Available} of {MaxReaders} read permits free)";
}
