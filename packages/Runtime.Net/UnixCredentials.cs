namespace Spindle.Net;

/// <summary>The credentials of the process at the other end of a Unix stream (<c>SO_PEERCRED</c>), as of when it connected.</summary>
/// <param name="ProcessId">The peer's process id.</param>
/// <param name="UserId">The peer's effective user id.</param>
/// <param name="GroupId">The peer's effective group id.</param>
public readonly record struct UnixCredentials(int ProcessId, uint UserId, uint GroupId);
