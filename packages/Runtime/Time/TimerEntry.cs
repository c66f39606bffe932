namespace Spindle.Time;

/// <summary>
/// A timer that a <see cref="TimerWheel"/> links into one of its slots: an intrusive list node, so
/// registering a timer allocates nothing beyond the timer itself.
/// </summary>
/// <remarks>
/// <para>
/// Concrete timers (sleeps, timeouts, intervals) derive from this type and add their own state. The
/// wheel itself only reads and writes the fields below; <see cref="Fire"/> is for the time driver.
/// </para>
/// <para>
/// <b>Thread safety:</b> while the entry is registered, <see cref="DeadlineMs"/> and every
/// <c>Wheel*</c> field belong to the wheel and are touched only under the lock that the wheel's
/// owner (the time driver) holds around every wheel call.
/// </para>
/// </remarks>
internal abstract class TimerEntry
{
    /// <summary>The absolute deadline in wheel milliseconds, set by <see cref="TimerWheel.Insert"/>.</summary>
    internal long DeadlineMs;

    /// <summary>The previous entry in the same wheel slot, or <see langword="null"/> at the head.</summary>
    internal TimerEntry? WheelPrev;

    /// <summary>The next entry in the same wheel slot, or <see langword="null"/> at the tail.</summary>
    internal TimerEntry? WheelNext;

    /// <summary>The wheel level holding the entry, or -1 while it is not registered.</summary>
    internal int WheelLevel = -1;

    /// <summary>The slot (0..63) within <see cref="WheelLevel"/>; meaningless while not registered.</summary>
    internal int WheelSlot;

    /// <summary>
    /// The wait the registration belongs to (a leaf's wait version; 0 for timers without waits), set
    /// by the time driver under its gate; see <see cref="TimeDriver.CancelGeneration"/>.
    /// </summary>
    internal short Generation;

    /// <summary>Gets a value indicating whether the entry is currently linked into a wheel.</summary>
    internal bool IsRegistered => WheelLevel >= 0;

    /// <summary>
    /// Completes the timer. The time driver calls this once per expiry, after
    /// <see cref="TimerWheel.Poll"/> has unregistered the entry and outside the driver's lock, so an
    /// implementation may wake tasks or re-register the entry.
    /// </summary>
    internal abstract void Fire();
}
