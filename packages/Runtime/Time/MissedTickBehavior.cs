namespace Spindle.Time;

/// <summary>What an <see cref="Interval"/> does when ticks were missed because the consumer was late (as tokio's <c>MissedTickBehavior</c>).</summary>
public enum MissedTickBehavior
{
    /// <summary>Fire the missed ticks back to back until caught up, keeping the original schedule (the default).</summary>
    Burst,

    /// <summary>Fire once now, then schedule the next tick one period after now (the schedule shifts).</summary>
    Delay,

    /// <summary>Fire once now, then skip to the next tick of the original schedule that lies in the future.</summary>
    Skip,
}
