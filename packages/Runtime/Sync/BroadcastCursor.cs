using System.Diagnostics;
using System.Threading;

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
/// The batch (values taken from the ring ahead of the receives that return them, see
/// <see cref="BroadcastChannel{T}"/>) belongs to the receiving flow: only a receive reads or fills it,
/// and Dispose, from anywhere, only drops the reference to it, so a receive that already holds it
/// finishes with it undisturbed and the values go with it.
/// </remarks>
internal sealed class BroadcastCursor<T> : ChannelCursor<BroadcastResult<T>>
{
    private readonly BroadcastChannel<T> _channel;
    private Batch? _batch;

    public BroadcastCursor(BroadcastChannel<T> channel) => _channel = channel;

    public BroadcastChannel<T> Channel => _channel;

    /// <summary>The next position this receiver reads from the ring (under the channel's lock); batched values come before it.</summary>
    public long Position { get; set; }

    /// <summary>Values taken from the ring and not yet returned (a racy snapshot from other threads).</summary>
    public int BatchedCount => Volatile.Read(ref _batch)?.Count ?? 0;

    /// <summary>The batch if it holds a value, else null; the receiving flow takes from it without the channel's lock.</summary>
    public Batch? ReadyBatch => Volatile.Read(ref _batch) is { Count: > 0 } batch ? batch : null;

    /// <summary>Returns the oldest batched value, if any (the receiving flow only).</summary>
    public bool TryTakeBatched(out T value)
    {
        if (ReadyBatch is { } batch)
        {
            value = batch.Take();
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>The empty batch to fill (under the channel's lock, by the receiving flow); created on first use.</summary>
    public Batch EmptyBatch()
    {
        Batch batch = _batch ??= new Batch();
        Debug.Assert(batch.Count == 0, "a batch is refilled only once it is empty");
        batch.Head = 0;
        return batch;
    }

    /// <summary>Drops the batch and the values in it (Dispose, under the channel's lock).</summary>
    public void DropBatch() => Volatile.Write(ref _batch, null);

    protected override string Kind => "broadcast.recv";

    protected override bool RemoveFromChannel(short version) => _channel.RemoveWaiter(this, version);

    protected override string DescribeResource() => _channel.DescribeCursor(this);

    protected override BroadcastResult<T> TakeAfterWake() => _channel.TakeAfterWake(this);

    /// <summary>A receiver's batch: up to <see cref="Capacity"/> values in ring order, from <see cref="Head"/>.</summary>
    internal sealed class Batch
    {
        /// <summary>How many values one take moves out of the ring at most.</summary>
        public const int Capacity = 32;

        public readonly T[] Items = new T[Capacity];
        public int Head;
        public int Count;

        /// <summary>Removes and returns the oldest value; the batch holds at least one.</summary>
        public T Take()
        {
            Debug.Assert(Count > 0, "a take from an empty batch");
            T value = Items[Head];
            // A returned value is not kept alive by the batch.
            Items[Head] = default!;
            Head++;
            Count--;
            return value;
        }
    }
}
