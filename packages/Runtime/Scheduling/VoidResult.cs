namespace Spindle.Scheduling;

/// <summary>The result type of tasks that return nothing.</summary>
internal readonly struct VoidResult
{
}
