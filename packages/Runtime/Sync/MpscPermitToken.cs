namespace Spindle.Sync;

/// <summary>
/// The heap half of an <see cref="MpscPermit{T}"/>: a versioned slot pooled by its channel, so a permit
/// can be a copyable struct yet be used once. A permit is live while its version equals
/// <see cref="Version"/>; using or disposing it bumps the version, which turns every copy stale.
/// </summary>
/// <remarks>Both fields are read and written only under the owning channel's lock.</remarks>
internal sealed class MpscPermitToken
{
    /// <summary>The version of the permit that currently owns this slot.</summary>
    public int Version;

    /// <summary>Link in the channel's free list.</summary>
    public MpscPermitToken? NextFree;
}
