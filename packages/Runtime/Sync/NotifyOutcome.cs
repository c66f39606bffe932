namespace Spindle.Sync;

/// <summary>What one <see cref="Notify.NotifyOne"/> did; lets the stress tests account for every notification.</summary>
internal enum NotifyOutcome
{
    /// <summary>A queued waiter was unlinked and completed.</summary>
    Woke,

    /// <summary>Nobody waited; the permit was stored.</summary>
    StoredPermit,

    /// <summary>Nobody waited and a permit was already stored: the two coalesced.</summary>
    Coalesced,
}
