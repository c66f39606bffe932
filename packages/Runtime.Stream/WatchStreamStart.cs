namespace Spindle.Streams;

/// <summary>Where a stream of a watch receiver starts; see <see cref="SpindleStreamExtensions.ToAsyncEnumerable{T}(Spindle.Sync.WatchReceiver{T}, WatchStreamStart)"/>.</summary>
public enum WatchStreamStart
{
    /// <summary>The current value first (marked seen), then each change (tokio-stream's <c>WatchStream::new</c>).</summary>
    CurrentValue = 0,

    /// <summary>Only changes: the first item is the first value this receiver has not seen (tokio-stream's <c>WatchStream::from_changes</c>).</summary>
    ChangesOnly = 1,
}
