using System.Diagnostics;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// The outcome of one receive from a broadcast channel: a value, the news that the receiver lagged
/// (and by how many values), that the channel is closed, or (only from
/// <see cref="BroadcastReceiver{T}.TryRecv"/>) that nothing is ready yet.
/// </summary>
/// <typeparam name="T">The channel's value type.</typeparam>
/// <remarks>
/// <para>tokio's <c>recv</c> returns <c>Result&lt;T, RecvError&gt;</c>; lag and close are expected
/// outcomes of a broadcast, so here they are statuses, not exceptions.</para>
/// <para><b>Thread safety:</b> an immutable value.</para>
/// </remarks>
/// <example>
/// <code>
/// while (true)
/// {
///     BroadcastResult&lt;Quote&gt; r = await quotes.RecvAsync();
///     if (r.TryGetValue(out Quote q)) { Show(q); }
///     else if (r.Status == BroadcastStatus.Lagged) { log.Warn($"skipped {r.LaggedBy} quotes"); }
///     else { break; } // Closed
/// }
/// </code>
/// </example>
[DebuggerDisplay("{Status}")]
public readonly struct BroadcastResult<T>
{
    private readonly T _value;
    private readonly long _laggedBy;

    private BroadcastResult(BroadcastStatus status, T value, long laggedBy)
    {
        Status = status;
        _value = value;
        _laggedBy = laggedBy;
    }

    internal static BroadcastResult<T> Empty => new(BroadcastStatus.Empty, default!, 0);

    internal static BroadcastResult<T> Closed => new(BroadcastStatus.Closed, default!, 0);

    /// <summary>Gets what the receive produced.</summary>
    public BroadcastStatus Status { get; }

    /// <summary>Gets whether this result carries a value (<see cref="Status"/> is <see cref="BroadcastStatus.Value"/>).</summary>
    public bool HasValue => Status == BroadcastStatus.Value;

    /// <summary>Gets the received value.</summary>
    /// <exception cref="System.InvalidOperationException">The result is not a value; check <see cref="Status"/> or use <see cref="TryGetValue"/>.</exception>
    public T Value
    {
        get
        {
            if (Status != BroadcastStatus.Value)
            {
                ThrowHelper.ThrowNoBroadcastValue(Status.ToString());
            }

            return _value;
        }
    }

    /// <summary>Gets how many values the receiver missed when <see cref="Status"/> is <see cref="BroadcastStatus.Lagged"/>; otherwise 0.</summary>
    public long LaggedBy => _laggedBy;

    internal static BroadcastResult<T> FromValue(T value) => new(BroadcastStatus.Value, value, 0);

    internal static BroadcastResult<T> FromLag(long missed) => new(BroadcastStatus.Lagged, default!, missed);

    /// <summary>Gets the value if this result carries one.</summary>
    /// <param name="value">The value, or default.</param>
    /// <returns><see langword="true"/> if <see cref="Status"/> is <see cref="BroadcastStatus.Value"/>.</returns>
    public bool TryGetValue(out T value)
    {
        value = _value;
        return Status == BroadcastStatus.Value;
    }

    /// <summary>Describes the result: the value, the lag, or the status.</summary>
    /// <returns>A short description for logs and debuggers.</returns>
    public override string ToString() => Status switch
    {
        BroadcastStatus.Value => $"Value({_value})",
        BroadcastStatus.Lagged => $"Lagged({_laggedBy})",
        _ => Status.ToString(),
    };
}
