namespace Spindle.Sync;

/// <summary>What a receive from a broadcast channel produced (see <see cref="BroadcastResult{T}"/>).</summary>
public enum BroadcastStatus
{
    /// <summary>A value was received.</summary>
    Value,

    /// <summary>
    /// The receiver fell more than the channel's capacity behind: <see cref="BroadcastResult{T}.LaggedBy"/>
    /// values were overwritten before it could see them. Its next receive returns the oldest value still held.
    /// </summary>
    Lagged,

    /// <summary>Every sender is gone and the receiver has seen every value: no more will come.</summary>
    Closed,

    /// <summary>Only from <see cref="BroadcastReceiver{T}.TryRecv"/>: no value is ready now, but senders remain.</summary>
    Empty,
}
