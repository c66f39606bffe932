using System;
using System.Diagnostics;
using System.Globalization;

namespace Spindle.Time;

/// <summary>
/// A point on the runtime's monotonic clock, like <c>tokio::time::Instant</c>.
/// </summary>
/// <remarks>
/// <para>
/// An <see cref="Instant"/> counts 100-nanosecond ticks (the unit of <see cref="TimeSpan"/>) from an
/// arbitrary origin fixed when the process first reads the clock. Only differences between instants
/// are meaningful; they never go backwards and are unaffected by changes to the wall clock.
/// </para>
/// <para>
/// Inside a runtime whose clock is paused (<c>RuntimeBuilder.StartPaused</c>), <see cref="Now"/> reads
/// the paused clock, so code that measures time with <see cref="Instant"/> agrees with the timers.
/// </para>
/// <para><b>Thread safety:</b> an immutable value; safe to share.</para>
/// </remarks>
/// <example>
/// <code>
/// Instant start = Instant.Now;
/// await Time.SleepAsync(TimeSpan.FromMilliseconds(10));
/// TimeSpan took = start.Elapsed;
/// </code>
/// </example>
public readonly struct Instant : IEquatable<Instant>, IComparable<Instant>
{
    private readonly long _ticks;

    private Instant(long ticks) => _ticks = ticks;

    /// <summary>Gets the current instant: the paused clock of the current runtime if it has one, else the system's monotonic clock.</summary>
    public static Instant Now => Internal.Clock.CurrentNow();

    /// <summary>Gets the number of 100-nanosecond ticks since the clock's origin.</summary>
    public long Ticks => _ticks;

    /// <summary>Gets the time that has passed since this instant, or <see cref="TimeSpan.Zero"/> if it lies in the future.</summary>
    public TimeSpan Elapsed => SaturatingSince(this, Now);

    /// <summary>Creates an instant from a tick count, as returned by <see cref="Ticks"/>.</summary>
    /// <param name="ticks">Ticks (100 ns) since the clock's origin.</param>
    /// <returns>The instant.</returns>
    public static Instant FromTicks(long ticks) => new(ticks);

    /// <summary>Reads the system's monotonic clock, ignoring any paused runtime clock.</summary>
    /// <returns>The current instant of the system clock.</returns>
    public static Instant SystemNow() => new(Internal.Clock.SystemTicks());

    /// <summary>Returns the time from <paramref name="earlier"/> to this instant, or zero if <paramref name="earlier"/> is later.</summary>
    /// <param name="earlier">The start of the interval.</param>
    /// <returns>A non-negative duration.</returns>
    public TimeSpan SaturatingDurationSince(Instant earlier) => SaturatingSince(earlier, this);

    /// <summary>Adds a duration to an instant.</summary>
    /// <param name="instant">The instant.</param>
    /// <param name="duration">The duration to add; may be negative.</param>
    /// <returns>The later (or earlier) instant, saturated at the clock's range.</returns>
    public static Instant operator +(Instant instant, TimeSpan duration) => new(SaturatingAdd(instant._ticks, duration.Ticks));

    /// <summary>Subtracts a duration from an instant.</summary>
    /// <param name="instant">The instant.</param>
    /// <param name="duration">The duration to subtract.</param>
    /// <returns>The earlier instant, saturated at the clock's range.</returns>
    public static Instant operator -(Instant instant, TimeSpan duration) =>
        new(SaturatingAdd(instant._ticks, duration.Ticks == long.MinValue ? long.MaxValue : -duration.Ticks));

    /// <summary>Returns the signed duration between two instants.</summary>
    /// <param name="later">The end.</param>
    /// <param name="earlier">The start.</param>
    /// <returns><paramref name="later"/> minus <paramref name="earlier"/>.</returns>
    public static TimeSpan operator -(Instant later, Instant earlier) => new(later._ticks - earlier._ticks);

    /// <summary>Adds a duration to an instant (named form of <c>+</c>).</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The resulting instant.</returns>
    public Instant Add(TimeSpan duration) => this + duration;

    /// <summary>Subtracts a duration (named form of <c>-</c>).</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The resulting instant.</returns>
    public Instant Subtract(TimeSpan duration) => this - duration;

    /// <summary>Returns the signed duration from <paramref name="earlier"/> to this instant (named form of <c>-</c>).</summary>
    /// <param name="earlier">The start.</param>
    /// <returns>The duration.</returns>
    public TimeSpan Subtract(Instant earlier) => this - earlier;

    /// <inheritdoc/>
    public bool Equals(Instant other) => _ticks == other._ticks;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Instant other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _ticks.GetHashCode();

    /// <inheritdoc/>
    public int CompareTo(Instant other) => _ticks.CompareTo(other._ticks);

    /// <summary>Returns a readable form: the time since the clock's origin.</summary>
    /// <returns>For example <c>Instant(+00:00:01.5000000)</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Instant(+{new TimeSpan(_ticks)})");

    /// <summary>Compares two instants.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns><see langword="true"/> if they are the same point in time.</returns>
    public static bool operator ==(Instant left, Instant right) => left._ticks == right._ticks;

    /// <summary>Compares two instants.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns><see langword="true"/> if they differ.</returns>
    public static bool operator !=(Instant left, Instant right) => left._ticks != right._ticks;

    /// <summary>Compares two instants.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> is earlier.</returns>
    public static bool operator <(Instant left, Instant right) => left._ticks < right._ticks;

    /// <summary>Compares two instants.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> is later.</returns>
    public static bool operator >(Instant left, Instant right) => left._ticks > right._ticks;

    /// <summary>Compares two instants.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> is not later.</returns>
    public static bool operator <=(Instant left, Instant right) => left._ticks <= right._ticks;

    /// <summary>Compares two instants.</summary>
    /// <param name="left">The first instant.</param>
    /// <param name="right">The second instant.</param>
    /// <returns><see langword="true"/> if <paramref name="left"/> is not earlier.</returns>
    public static bool operator >=(Instant left, Instant right) => left._ticks >= right._ticks;

    private static TimeSpan SaturatingSince(Instant earlier, Instant later) =>
        later._ticks > earlier._ticks ? new TimeSpan(later._ticks - earlier._ticks) : TimeSpan.Zero;

    /// <summary><paramref name="a"/> + <paramref name="b"/>, saturated at the range of <see cref="long"/>.</summary>
    internal static long SaturatingAdd(long a, long b)
    {
        long sum = unchecked(a + b);
        // Overflow happened iff both operands share a sign that the sum does not.
        if (((a ^ sum) & (b ^ sum)) < 0)
        {
            return a < 0 ? long.MinValue : long.MaxValue;
        }

        return sum;
    }
}
