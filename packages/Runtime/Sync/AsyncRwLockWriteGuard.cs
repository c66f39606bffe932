using System;

namespace Spindle.Sync;

/// <summary>Exclusive access to the value of an <see cref="AsyncRwLock{T}"/>; disposing releases it.</summary>
/// <remarks>
/// A struct so locking allocates nothing. After release, <see cref="Value"/> throws and a second
/// dispose does nothing, also through copies.
/// </remarks>
/// <typeparam name="T">The type of the guarded value.</typeparam>
public readonly struct AsyncRwLockWriteGuard<T> : IDisposable
{
    private readonly AsyncRwLock<T>? _lock;
    private readonly long _generation;

    internal AsyncRwLockWriteGuard(AsyncRwLock<T> rwLock, long generation)
    {
        _lock = rwLock;
        _generation = generation;
    }

    /// <summary>Gets a reference to the guarded value, valid while the guard is held.</summary>
    /// <exception cref="InvalidOperationException">The guard was released (or is <c>default</c>).</exception>
    public ref T Value
    {
        get
        {
            if (_lock is null)
            {
                Internal.ThrowHelper.ThrowGuardReleased(nameof(AsyncRwLockWriteGuard<T>));
            }

            return ref _lock.ValueOf(_generation, nameof(AsyncRwLockWriteGuard<T>));
        }
    }

    /// <summary>
    /// Turns write access into read access without letting another writer in between (tokio's
    /// <c>downgrade</c>); queued readers are let in at once. This guard is released by the call.
    /// </summary>
    /// <returns>The read guard; dispose it to release.</returns>
    /// <exception cref="InvalidOperationException">The guard was already released.</exception>
    public AsyncRwLockReadGuard<T> Downgrade()
    {
        if (_lock is null)
        {
            Internal.ThrowHelper.ThrowGuardReleased(nameof(AsyncRwLockWriteGuard<T>));
        }

        return _lock.Downgrade(_generation);
    }

    /// <summary>Releases write access; the next waiters in line get the lock.</summary>
    public void Dispose() => _lock?.ReleaseWrite(_generation);
}
