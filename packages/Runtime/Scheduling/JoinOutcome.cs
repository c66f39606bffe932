namespace Spindle.Scheduling;

/// <summary>How a task ended.</summary>
internal enum JoinOutcome : byte
{
    Pending,
    Succeeded,
    Faulted,
    Aborted,
}
