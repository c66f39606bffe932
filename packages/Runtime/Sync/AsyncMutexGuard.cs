using System;

namespace Spindle.Sync;

/// <summary>
/// Holds the lock of an <see cref="AsyncMutex{T}"/> and gives access to its value; disposing unlocks.
/// </summary>
/// <remarks>
/// A struct so locking allocates nothing. After the guard is disposed, <see cref="Value"/> throws
/// <see cref="InvalidOperationException"/> and a second dispose does nothing, also through copies.
/// </remarks>
/// <typeparam name="T">The type of the guarded value.</typeparam>
public readonly struct AsyncMutexGuard<T> : IDisposable
{
    private readonly AsyncMutex<T>? _mutex;
    private readonly long _generation;

    internal AsyncMutexGuard(AsyncMutex<T> mutex, long generation)
    {
        _mutex = mutex;
        _generation = generation;
    }

    /// <summary>Gets a reference to the guarded value, valid while the guard is held.</summary>
    /// <exception cref="InvalidOperationException">The guard was disposed (or is <c>default</c>).</exception>
    public ref T Value
    {
        get
        {
            if (_mutex is null)
            {
                Internal.ThrowHelper.ThrowGuardReleased(nameof(AsyncMutexGuard<T>));
            }

            return ref _mutex.ValueOf(_generation);
        }
    }

    /// <summary>Unlocks the mutex; the next waiter in line gets it.</summary>
    public void Dispose() => _mutex?.Unlock(_generation);
}
