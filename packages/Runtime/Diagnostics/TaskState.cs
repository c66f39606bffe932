namespace Spindle.Diagnostics;

/// <summary>Where a task is in its life, as seen by a task listing.</summary>
public enum TaskState
{
    /// <summary>Suspended, waiting for something to wake it.</summary>
    Idle,

    /// <summary>Woken and queued to run.</summary>
    Scheduled,

    /// <summary>Being polled on a worker right now.</summary>
    Running,

    /// <summary>A <c>SpawnBlocking</c> task running or queued on the blocking pool.</summary>
    Blocking,

    /// <summary>Finished (returned, faulted or aborted).</summary>
    Completed,
}
