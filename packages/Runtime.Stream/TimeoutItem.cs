using System;

namespace Spindle.Streams;

/// <summary>An item of a stream watched by <see cref="StreamExtensions.Timeout{T}(System.Collections.Generic.IAsyncEnumerable{T}, TimeSpan)"/>: a value, or a marker that the timeout elapsed.</summary>
/// <remarks>
/// <para>The marker is the <see langword="default"/> value: <c>default(TimeoutItem&lt;T&gt;).IsElapsed</c> is <see langword="true"/>.</para>
/// <para><b>Thread safety:</b> an immutable value.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
public readonly struct TimeoutItem<T> : IEquatable<TimeoutItem<T>>
{
    private readonly T _value;

    /// <summary>Initializes an item that carries <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    public TimeoutItem(T value)
    {
        _value = value;
        HasValue = true;
    }

    /// <summary>Gets whether this item carries a value.</summary>
    public bool HasValue { get; }

    /// <summary>Gets whether this is the marker that the timeout elapsed.</summary>
    public bool IsElapsed => !HasValue;

    /// <summary>Gets the value.</summary>
    /// <exception cref="InvalidOperationException">This is the elapsed marker.</exception>
    public T Value => HasValue ? _value : throw new InvalidOperationException("The timeout elapsed: this item carries no value; check HasValue or use TryGetValue.");

    /// <summary>Gets the value if there is one.</summary>
    /// <param name="value">The value, or <see langword="default"/> for the elapsed marker.</param>
    /// <returns><see langword="true"/> if this item carries a value.</returns>
    public bool TryGetValue(out T value)
    {
        value = _value;
        return HasValue;
    }

    /// <inheritdoc/>
    public bool Equals(TimeoutItem<T> other) =>
        HasValue == other.HasValue && System.Collections.Generic.EqualityComparer<T>.Default.Equals(_value, other._value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TimeoutItem<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HasValue ? HashCode.Combine(true, _value) : 0;

    /// <inheritdoc/>
    public override string ToString() => HasValue ? $"Value({_value})" : "Elapsed";

    /// <summary>Compares two items for equality.</summary>
    /// <param name="left">The first item.</param>
    /// <param name="right">The second item.</param>
    /// <returns><see langword="true"/> if both are the elapsed marker or carry equal values.</returns>
    public static bool operator ==(TimeoutItem<T> left, TimeoutItem<T> right) => left.Equals(right);

    /// <summary>Compares two items for inequality.</summary>
    /// <param name="left">The first item.</param>
    /// <param name="right">The second item.</param>
    /// <returns><see langword="true"/> unless both are the elapsed marker or carry equal values.</returns>
    public static bool operator !=(TimeoutItem<T> left, TimeoutItem<T> right) => !left.Equals(right);
}
