namespace Spindle.Scheduling;

/// <summary>What a worker does with a task after polling it.</summary>
internal enum PollResult
{
    /// <summary>Suspended; something else will wake it.</summary>
    Idle,

    /// <summary>Woken during its own poll: schedule again (may use the LIFO slot).</summary>
    Notified,

    /// <summary>Yielded or ran out of budget: schedule at the back of the queue.</summary>
    Yield,

    /// <summary>Finished.</summary>
    Complete,
}

/// <summary>How a task is being scheduled.</summary>
internal enum ScheduleHint
{
    /// <summary>Woken by an event: run soon (LIFO slot when woken from the same worker).</summary>
    Normal,

    /// <summary>Yielded: go to the back of the queue.</summary>
    Yield,
}
