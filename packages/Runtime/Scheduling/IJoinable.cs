namespace Spindle.Scheduling;

/// <summary>The untyped side of a task's join, for <see cref="JoinHandle"/>.</summary>
internal interface IJoinable
{
    /// <summary>Records where the joiner awaits, for the join's description while it waits.</summary>
    void RecordJoiner(string? file, int line);
}
