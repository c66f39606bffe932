using System.Collections.Generic;

namespace Spindle.Diagnostics;

/// <summary>One task in a <see cref="TaskDump"/>: its listing, its async call chain and what it waits on.</summary>
/// <remarks><para><b>Thread safety:</b> immutable.</para></remarks>
public sealed class TaskDumpEntry
{
    internal TaskDumpEntry(TaskInfo task, IReadOnlyList<TaskDumpFrame> frames, LeafInfo? waitingOn, string? note, IReadOnlyList<TaskDumpBranch>? branches = null)
    {
        Task = task;
        Frames = frames;
        WaitingOn = waitingOn;
        Note = note;
        Branches = branches ?? [];
    }

    /// <summary>Gets the task's id, name, spawn location, state, poll count and time since its last poll.</summary>
    public TaskInfo Task { get; }

    /// <summary>
    /// Gets the logical async call chain, outermost first: the task's root method down to the
    /// innermost method, each frame at the <c>await</c> it is suspended at. Empty when the task was
    /// not walked (running, blocking, completed, or dumps are switched off).
    /// </summary>
    public IReadOnlyList<TaskDumpFrame> Frames { get; }

    /// <summary>
    /// Gets what the innermost frame waits on: a Spindle leaf as it describes itself, or for a
    /// foreign awaitable a leaf of kind <c>foreign</c> naming its type and status; null if unknown.
    /// </summary>
    public LeafInfo? WaitingOn { get; }

    /// <summary>
    /// Gets where the chain fans out below its innermost frame: one branch per pending child of a
    /// combinator that keeps its children (<c>Task.WhenAll</c> over <see cref="System.Threading.Tasks.Task{TResult}"/>,
    /// two-task <c>Task.WhenAny</c>), so the dump is a tree. Empty for a plain chain.
    /// </summary>
    public IReadOnlyList<TaskDumpBranch> Branches { get; }

    /// <summary>Gets why the chain is missing or partial (e.g. <c>running</c>, <c>moved on during the dump</c>), or null.</summary>
    public string? Note { get; }

    /// <summary>Returns the task's line of the dump followed by its frames, innermost first.</summary>
    /// <returns>A multi-line description.</returns>
    public override string ToString()
    {
        var builder = new System.Text.StringBuilder();
        TaskDump.Render(builder, this);
        return builder.ToString();
    }
}
