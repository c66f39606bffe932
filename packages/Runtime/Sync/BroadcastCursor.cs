namespace Spindle.Sync;

/// <summary>
/// A broadcast receiver's place in the ring (the next position it reads) and its embedded wait. It is
/// the <see cref="WaitNode"/> queued in the channel while the receiver waits, and the
/// <c>IValueTaskSource</c> behind <see cref="BroadcastReceiver{T}.RecvAsync"/>, so a
/// wait allocates nothing. One per receiver; the public <see cref="BroadcastReceiver{T}"/> wraps it
/// because a public type cannot derive from the internal <see cref="WaitNode"/>.
/// </summary>
/// <remarks>
/// <see cref="Position"/>, <c>IsDisposed</c> and the queue links are read and written under the
/// channel's lock. The wait follows <see cref="WaitNode"/>'s rule: whoever unlinks the cursor completes it.
/// </remarks>
internal sealed class BroadcastCursor<T> : ChannelCursor<BroadcastResult<T>>
{
    private readonly BroadcastChannel<T> _channel;

    public BroadcastCursor(BroadcastChannel<T> channel) => _channel = channel;

    public BroadcastChannel<T> Channel => _channel;

    /// <summary>The next position this receiver reads (under the channel's lock).</summary>
    public long Position { get; set; }

    protected override string Kind => "broadcast.recv";

    protected override bool RemoveFromChannel() => _channel.RemoveWaiter(this);

    protected override string DescribeResource() => _channel.DescribeCursor(this);

    protected override BroadcastResult<T> TakeAfterWake() => _channel.TakeAfterWake(this);
}
