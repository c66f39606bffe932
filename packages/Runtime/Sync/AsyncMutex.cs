using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// A FIFO-fair asynchronous mutex that owns the value it guards (tokio's <c>sync::Mutex</c>): the
/// value is reachable only through the <see cref="AsyncMutexGuard{T}"/> that
/// <see cref="LockAsync"/> returns, and disposing the guard unlocks.
/// </summary>
/// <remarks>
/// <para>Waiting is a Spindle leaf: it consumes coop budget, ends at once when the task is aborted or
/// its timeout expires, and shows in task listings as <c>mutex</c>. Unlike <see cref="Lock"/> or
/// <c>lock</c>, the guard may be held across <c>await</c>s.</para>
/// <para><b>Fairness:</b> the lock goes to waiters in arrival order.</para>
/// <para><b>Thread safety:</b> every member is safe to call from any thread.</para>
/// <para>Design: a <see cref="FairSemaphore"/> with one permit; a generation number, bumped on
/// every unlock, lets a guard notice that it was already disposed (use after unlock throws and a
/// second dispose does nothing).</para>
/// </remarks>
/// <typeparam name="T">The type of the guarded value.</typeparam>
/// <example>
/// <code>
/// var counts = new AsyncMutex&lt;Dictionary&lt;string, int&gt;&gt;(new());
/// using (var guard = await counts.LockAsync())
/// {
///     guard.Value["requests"] = guard.Value.GetValueOrDefault("requests") + 1;
/// }
/// </code>
/// </example>
public sealed class AsyncMutex<T> : IWaitResult<AsyncMutexGuard<T>>
{
    private readonly FairSemaphore _core = new(1, "mutex");
    private T _value;
    // Written only by the holder (before it releases the permit) and read by guards of the holder;
    // the next holder reads it after acquiring, which orders it after the write.
    private long _generation;

    /// <summary>Creates an unlocked mutex guarding <paramref name="value"/>.</summary>
    /// <param name="value">The value to guard.</param>
    public AsyncMutex(T value) => _value = value;

    /// <summary>Gets whether the mutex is locked now (a snapshot).</summary>
    public bool IsLocked => _core.Available == 0;

    /// <summary>Waits for the lock.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The guard; dispose it to unlock.</returns>
    /// <remarks>
    /// <para><b>Cancellation:</b> a cancelled wait (token, task abort or timeout) does not take the
    /// lock and leaves the queue; if the lock was being handed to it at that moment it goes to the
    /// next waiter instead. Nothing stays locked.</para>
    /// </remarks>
    public ValueTask<AsyncMutexGuard<T>> LockAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        return _core.AcquireAsync(1, this, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    // A mutex never closes, so every wait that ends without an exception acquired the lock.
    AsyncMutexGuard<T> IWaitResult<AsyncMutexGuard<T>>.Produce(bool acquired, int amount) => new(this, _generation);

    /// <summary>Takes the lock if it is free and nobody is queued; never waits.</summary>
    /// <param name="guard">The guard, when locked.</param>
    /// <returns>Whether the lock was taken.</returns>
    public bool TryLock(out AsyncMutexGuard<T> guard)
    {
        bool locked = _core.TryAcquire(1);
        guard = locked ? new AsyncMutexGuard<T>(this, _generation) : default;
        return locked;
    }

    /// <summary>Waits for the lock from synchronous code outside the runtime (tokio's <c>blocking_lock</c>).</summary>
    /// <returns>The guard; dispose it to unlock.</returns>
    /// <exception cref="InvalidOperationException">Called on a runtime thread (a task, worker or BlockOn thread).</exception>
    public AsyncMutexGuard<T> BlockingLock()
    {
        BlockingWait.EnsureOffRuntime(nameof(BlockingLock));
        return BlockingWait.Wait(LockAsync());
    }

    internal ref T ValueOf(long generation)
    {
        if (generation != Volatile.Read(ref _generation))
        {
            ThrowHelper.ThrowGuardReleased("AsyncMutexGuard");
        }

        return ref _value;
    }

    internal void Unlock(long generation)
    {
        // Only the holder gets here with the current generation; a stale copy of the guard finds it changed.
        if (generation != Volatile.Read(ref _generation))
        {
            return;
        }

        // Published before the permit is released (the release takes the semaphore's lock).
        Volatile.Write(ref _generation, generation + 1);
        _core.Release(1);
    }

    /// <inheritdoc/>
    public override string ToString() => $"AsyncMutex<{typeof(T).Name}>({(IsLocked ? "locked" : "unlocked")})";
}
