using System;

namespace Spindle.Sync;

/// <summary>
/// Permits acquired from an <see cref="AsyncSemaphore"/>; disposing returns them. The .NET form of
/// tokio's <c>SemaphorePermit</c>.
/// </summary>
/// <remarks>
/// <para>A struct so acquiring allocates nothing. Dispose it exactly once (a <c>using</c>
/// declaration does that); copies share the permits, so disposing two copies releases twice.</para>
/// <para>To keep permits out of the semaphore for good (tokio's <c>forget</c>), do not dispose the
/// permit; <see cref="AsyncSemaphore.ForgetPermits"/> removes available permits instead.</para>
/// </remarks>
public readonly struct SemaphorePermit : IDisposable, IEquatable<SemaphorePermit>
{
    private readonly AsyncSemaphore? _semaphore;

    internal SemaphorePermit(AsyncSemaphore semaphore, int count)
    {
        _semaphore = semaphore;
        Count = count;
    }

    /// <summary>Gets how many permits this value holds (0 for <c>default</c>).</summary>
    public int Count { get; }

    /// <summary>Returns the permits to the semaphore, waking waiters in order.</summary>
    public void Dispose() => _semaphore?.Release(Count);

    /// <inheritdoc/>
    public bool Equals(SemaphorePermit other) => ReferenceEquals(_semaphore, other._semaphore) && Count == other.Count;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SemaphorePermit other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_semaphore, Count);

    /// <summary>Compares two permit values.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>Whether they hold the same permits of the same semaphore.</returns>
    public static bool operator ==(SemaphorePermit left, SemaphorePermit right) => left.Equals(right);

    /// <summary>Compares two permit values.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(SemaphorePermit left, SemaphorePermit right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"SemaphorePermit({Count})";
}
