namespace Spindle.Sync;

/// <summary>The outcome of a receive that never waits (<see cref="MpscReceiver{T}.TryRecv"/>, <see cref="OneshotReceiver{T}.TryRecv"/>).</summary>
public enum TryRecvStatus
{
    /// <summary>A value was taken.</summary>
    Received = 0,

    /// <summary>Nothing is available now, but a value may still come: try again later or await <c>RecvAsync</c>.</summary>
    Empty = 1,

    /// <summary>Nothing is available and nothing ever will be: the channel has ended.</summary>
    Closed = 2,
}
