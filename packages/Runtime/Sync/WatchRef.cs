using System.Diagnostics;

namespace Spindle.Sync;

/// <summary>
/// A borrowed view of a watch channel's value (tokio's <c>watch::Ref</c>): the value as it was when
/// borrowed and whether it was newer than what the receiver had seen.
/// </summary>
/// <typeparam name="T">The channel's value type.</typeparam>
/// <remarks>
/// <para>
/// <b>What "without copying" means:</b> a borrow holds no lock, so it can be kept across awaits and
/// never blocks the sender. For a reference type, <see cref="Value"/> is the very instance the sender
/// stored: nothing is cloned. For a value type it is one copy of the struct, taken under the channel's
/// lock, so it is never torn. Treat a shared instance as read-only: a <c>SendModify</c> that mutates a
/// reference type in place does so while readers may be looking at it; store a new instance
/// (<c>Send</c>/<c>SendReplace</c>) or use an immutable type when readers run concurrently.
/// </para>
/// <para><b>Thread safety:</b> an immutable value.</para>
/// </remarks>
[DebuggerDisplay("{Value} (changed: {HasChanged})")]
public readonly struct WatchRef<T>
{
    internal WatchRef(T value, bool hasChanged)
    {
        Value = value;
        HasChanged = hasChanged;
    }

    /// <summary>Gets the value when it was borrowed.</summary>
    public T Value { get; }

    /// <summary>
    /// Gets whether the value was newer than the receiver had seen when it was borrowed (always
    /// <see langword="false"/> for a borrow from the sender).
    /// </summary>
    public bool HasChanged { get; }
}
