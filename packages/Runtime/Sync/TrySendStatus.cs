namespace Spindle.Sync;

/// <summary>The outcome of a send or reservation that never waits (<see cref="MpscSender{T}.TrySend"/>, <see cref="MpscSender{T}.TryReserve"/>).</summary>
public enum TrySendStatus
{
    /// <summary>The value was queued (or the capacity reserved).</summary>
    Sent = 0,

    /// <summary>The channel is at capacity: nothing was sent; the value stays with the caller. Retry later or await <c>SendAsync</c>.</summary>
    Full = 1,

    /// <summary>The receiver is closed or disposed: nothing was sent and nothing ever will be.</summary>
    Closed = 2,
}
