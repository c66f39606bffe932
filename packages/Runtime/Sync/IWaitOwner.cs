namespace Spindle.Sync;

/// <summary>The primitive a <see cref="SyncWaiter"/> is queued in.</summary>
internal interface IWaitOwner
{
    /// <summary>
    /// Unlinks a cancelled waiter under the owner's lock and passes on whatever its leaving frees up
    /// (e.g. the next waiter in a semaphore may now fit). False if the waiter was already taken by a
    /// completer, which then completes it instead. Also false if the waiter no longer carries the wait
    /// of <paramref name="version"/> (checked under the same lock as the unlinking, with
    /// <see cref="SyncWaiter.IsWait"/>): a canceller that found the waiter for one wait must not take it
    /// out of the queue for the next wait it was rented for.
    /// </summary>
    bool RemoveWaiter(SyncWaiter waiter, short version);

    /// <summary>Kind and resource for task listings and dumps; never blocks.</summary>
    (string Kind, string? Resource) DescribeWaiter(SyncWaiter waiter);
}
