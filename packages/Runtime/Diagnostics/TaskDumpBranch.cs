using System.Collections.Generic;

namespace Spindle.Diagnostics;

/// <summary>
/// One child of a combinator in a task's chain (e.g. one task of a <c>Task.WhenAll</c>): its own
/// async call chain, what it waits on, and its own branches, making a <see cref="TaskDump"/> a tree.
/// </summary>
/// <remarks><para><b>Thread safety:</b> immutable.</para></remarks>
public sealed class TaskDumpBranch
{
    internal TaskDumpBranch(IReadOnlyList<TaskDumpFrame> frames, LeafInfo? waitingOn, IReadOnlyList<TaskDumpBranch> branches, string? note)
    {
        Frames = frames;
        WaitingOn = waitingOn;
        Branches = branches;
        Note = note;
    }

    /// <summary>Gets the child's async call chain, outermost first (empty when the child is not an async method).</summary>
    public IReadOnlyList<TaskDumpFrame> Frames { get; }

    /// <summary>Gets what the child's innermost frame waits on: a foreign awaitable's type and status, or null (see <see cref="Note"/>).</summary>
    public LeafInfo? WaitingOn { get; }

    /// <summary>Gets the child's own branches, if it fans out too.</summary>
    public IReadOnlyList<TaskDumpBranch> Branches { get; }

    /// <summary>Gets why the branch is partial or elided, or null.</summary>
    public string? Note { get; }
}
