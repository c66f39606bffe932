namespace Spindle.Time;

/// <summary>How a timer wait started.</summary>
internal enum WaitStart
{
    /// <summary>Registered; await the value task.</summary>
    Pending,

    /// <summary>Deadline already passed; report it now.</summary>
    Ready,

    /// <summary>Deadline already passed but the coop budget is spent: yield, then report.</summary>
    ReadyAfterYield,
}
