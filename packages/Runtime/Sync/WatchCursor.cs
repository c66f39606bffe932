namespace Spindle.Sync;

/// <summary>
/// A watch receiver's seen version and its embedded wait: the <see cref="WaitNode"/> queued in the
/// channel while it waits for a change and the <c>IValueTaskSource</c> behind
/// <see cref="WatchReceiver{T}.ChangedAsync"/>, so a wait allocates nothing. The public
/// <see cref="WatchReceiver{T}"/> wraps it because a public type cannot derive from the internal
/// <see cref="WaitNode"/>.
/// </summary>
/// <remarks>
/// <see cref="Seen"/>, <c>IsDisposed</c> and the queue links are read and written under the
/// channel's lock. Whoever unlinks the cursor completes it (see <see cref="WaitNode"/>).
/// </remarks>
internal sealed class WatchCursor<T> : ChannelCursor<bool>
{
    private readonly WatchChannel<T> _channel;

    public WatchCursor(WatchChannel<T> channel) => _channel = channel;

    public WatchChannel<T> Channel => _channel;

    /// <summary>The version this receiver has seen (under the channel's lock; -1 after MarkChanged).</summary>
    public long Seen { get; set; }

    protected override string Kind => "watch.changed";

    protected override bool RemoveFromChannel(short version) => _channel.RemoveWaiter(this, version);

    protected override string DescribeResource() => _channel.DescribeCursor(this);

    protected override bool TakeAfterWake() => _channel.TakeChangeAfterWake(this);
}
