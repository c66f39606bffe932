using System;

namespace Spindle.Sync;

/// <summary>Shared access to the value of an <see cref="AsyncRwLock{T}"/>; disposing releases it.</summary>
/// <remarks>
/// A struct so locking allocates nothing. Dispose it exactly once (a <c>using</c> declaration does
/// that). Reading <see cref="Value"/> after a writer has since taken the lock throws.
/// </remarks>
/// <typeparam name="T">The type of the guarded value.</typeparam>
public readonly struct AsyncRwLockReadGuard<T> : IDisposable
{
    private readonly AsyncRwLock<T>? _lock;
    private readonly long _generation;

    internal AsyncRwLockReadGuard(AsyncRwLock<T> rwLock, long generation)
    {
        _lock = rwLock;
        _generation = generation;
    }

    /// <summary>Gets a read-only reference to the guarded value, valid while the guard is held.</summary>
    /// <exception cref="InvalidOperationException">The guard was released (or is <c>default</c>).</exception>
    public ref readonly T Value
    {
        get
        {
            if (_lock is null)
            {
                Internal.ThrowHelper.ThrowGuardReleased(nameof(AsyncRwLockReadGuard<T>));
            }

            return ref _lock.ValueOf(_generation, nameof(AsyncRwLockReadGuard<T>));
        }
    }

    /// <summary>Releases read access.</summary>
    /// <exception cref="InvalidOperationException">
    /// The guard (or a copy of it) was already disposed and no other reader holds the lock, so releasing it
    /// again would free more than <see cref="AsyncRwLock{T}.MaxReaders"/> permits; nothing is released.
    /// Disposing a guard twice while other readers hold the lock cannot be detected: dispose it exactly once.
    /// </exception>
    public void Dispose() => _lock?.ReleaseRead(_generation);
}
