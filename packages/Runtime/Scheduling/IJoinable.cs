namespace Spindle.Scheduling;

/// <summary>The untyped side of a task's join, for <see cref="JoinHandle"/>.</summary>
internal interface IJoinable
{
    short PrepareJoin(string? file, int line);
}
