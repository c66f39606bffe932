using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// What a channel receive produced: a value, or none because the channel ended (every mpsc sender is
/// gone or the receiver was closed, and nothing is left in the queue; a oneshot sender was disposed
/// without sending). The end of a channel is an ordinary result, not an exception.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
/// <remarks><para><b>Thread safety:</b> an immutable value.</para></remarks>
/// <example>
/// <code>
/// while ((await receiver.RecvAsync()).TryGetValue(out string? line)) { Console.WriteLine(line); }
/// </code>
/// </example>
public readonly struct RecvResult<T> : IEquatable<RecvResult<T>>
{
    private readonly T _value;
    private readonly bool _hasValue;

    /// <summary>Creates a result holding <paramref name="value"/>; <c>default</c> is the result without a value.</summary>
    /// <param name="value">The received value.</param>
    public RecvResult(T value)
    {
        _value = value;
        _hasValue = true;
    }

    /// <summary>Gets whether a value was received.</summary>
    public bool HasValue => _hasValue;

    /// <summary>Gets the received value.</summary>
    /// <exception cref="InvalidOperationException">No value was received: the channel has ended. Check <see cref="HasValue"/> or use <see cref="TryGetValue"/>.</exception>
    public T Value
    {
        get
        {
            if (!_hasValue)
            {
                ThrowHelper.ThrowRecvResultWithoutValue();
            }

            return _value;
        }
    }

    /// <summary>Gets the value if one was received.</summary>
    /// <param name="value">The value, or default.</param>
    /// <returns><see langword="true"/> if a value was received; <see langword="false"/> at the end of the channel.</returns>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return _hasValue;
    }

    /// <summary>Compares two results: equal when both have no value, or both hold equal values.</summary>
    /// <param name="other">The other result.</param>
    /// <returns><see langword="true"/> if equal.</returns>
    public bool Equals(RecvResult<T> other) =>
        _hasValue == other._hasValue && (!_hasValue || EqualityComparer<T>.Default.Equals(_value, other._value));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RecvResult<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _hasValue ? HashCode.Combine(true, _value) : 0;

    /// <summary>Describes the result, e.g. <c>RecvResult(42)</c> or <c>RecvResult(no value)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => _hasValue ? $"RecvResult({_value})" : "RecvResult(no value)";

    /// <summary>Compares two results.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> if equal.</returns>
    public static bool operator ==(RecvResult<T> left, RecvResult<T> right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> if different.</returns>
    public static bool operator !=(RecvResult<T> left, RecvResult<T> right) => !left.Equals(right);
}
