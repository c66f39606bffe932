using System;
using System.Globalization;

namespace Spindle.IO;

/// <summary>
/// What a readiness wait observed: the ready bits and the driver tick at which they were set. Pass
/// it back to <see cref="IoRegistration.ClearReadiness(ReadyEvent)"/> after an operation reported
/// "would block": the readiness is cleared only if the driver has not set it again since (the tick
/// is unchanged), so readiness that arrives between the wake-up and the clear is never lost.
/// </summary>
public readonly struct ReadyEvent : IEquatable<ReadyEvent>
{
    internal ReadyEvent(Ready ready, int tick)
    {
        Ready = ready;
        Tick = tick;
    }

    /// <summary>The ready bits.</summary>
    public Ready Ready { get; }

    /// <summary>The driver tick that set them (opaque; compared by the clear).</summary>
    internal int Tick { get; }

    /// <summary>Whether a read would not block (data, or the read side closed).</summary>
    public bool IsReadable => (Ready & (Ready.Readable | Ready.ReadClosed)) != 0;

    /// <summary>Whether a write would not block (space, or the write side closed).</summary>
    public bool IsWritable => (Ready & (Ready.Writable | Ready.WriteClosed)) != 0;

    /// <summary>Whether the read side is closed.</summary>
    public bool IsReadClosed => (Ready & Ready.ReadClosed) != 0;

    /// <summary>Whether the write side is closed.</summary>
    public bool IsWriteClosed => (Ready & Ready.WriteClosed) != 0;

    /// <summary>Whether the resource reported an error condition.</summary>
    public bool IsError => (Ready & Ready.Error) != 0;

    /// <summary>Whether priority data can be read.</summary>
    public bool IsPriority => (Ready & Ready.Priority) != 0;

    /// <inheritdoc/>
    public bool Equals(ReadyEvent other) => Ready == other.Ready && Tick == other.Tick;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReadyEvent other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Ready, Tick);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Ready} @ tick {Tick}");

    /// <summary>Compares two events.</summary>
    /// <param name="left">The first event.</param>
    /// <param name="right">The second event.</param>
    /// <returns>Whether they carry the same bits and tick.</returns>
    public static bool operator ==(ReadyEvent left, ReadyEvent right) => left.Equals(right);

    /// <summary>Compares two events.</summary>
    /// <param name="left">The first event.</param>
    /// <param name="right">The second event.</param>
    /// <returns>Whether they differ in bits or tick.</returns>
    public static bool operator !=(ReadyEvent left, ReadyEvent right) => !left.Equals(right);
}
