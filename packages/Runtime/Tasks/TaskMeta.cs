using Spindle.Scheduling;

namespace Spindle;

/// <summary>Identity of a task, passed to runtime hooks without allocating.</summary>
/// <remarks><para><b>Thread safety:</b> a view of immutable fields; safe to read from any thread.</para></remarks>
public readonly struct TaskMeta
{
    private readonly TaskCore _task;

    internal TaskMeta(TaskCore task) => _task = task;

    internal TaskCore Task => _task;

    /// <summary>Gets the task's id.</summary>
    public long Id => _task.Id;

    /// <summary>Gets the name given at spawn, or null.</summary>
    public string? Name => _task.Name;

    /// <summary>Gets the file of the code that spawned the task.</summary>
    public string? SpawnFilePath => _task.SpawnFilePath;

    /// <summary>Gets the line of the code that spawned the task.</summary>
    public int SpawnLineNumber => _task.SpawnLineNumber;

    /// <summary>Gets the member that spawned the task.</summary>
    public string? SpawnMemberName => _task.SpawnMemberName;

    /// <summary>Gets how many times the task has been polled so far.</summary>
    public long PollCount => _task.PollCount;
}
