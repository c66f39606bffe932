namespace Spindle.Sync;

/// <summary>
/// What <see cref="AsyncBarrier.WaitAsync"/> returns to each participant of a generation (tokio's
/// <c>BarrierWaitResult</c>): whether this participant was the leader.
/// </summary>
/// <remarks><para><b>Thread safety:</b> an immutable value.</para></remarks>
public readonly struct BarrierWaitResult
{
    internal BarrierWaitResult(bool isLeader) => IsLeader = isLeader;

    /// <summary>
    /// Gets whether this participant was the generation's leader: the last to arrive, the one that
    /// released the others. Exactly one participant per generation is the leader.
    /// </summary>
    public bool IsLeader { get; }

    /// <summary>Describes the result for logs.</summary>
    /// <returns><c>leader</c> or <c>follower</c>.</returns>
    public override string ToString() => IsLeader ? "leader" : "follower";
}
