using System;
using System.Collections.Generic;
using Spindle.Scheduling;

namespace Spindle.Diagnostics;

/// <summary>
/// Takes a <see cref="TaskDump"/> of a runtime: lists the registry and walks each idle task.
/// </summary>
/// <remarks>
/// <para>
/// Consistency without stopping the workers: a task is walked only while it is not being polled,
/// and the walk is trusted only if the task's poll count did not change across it (a poll is the
/// only thing that moves a suspended task's state machines). A task that moved on is walked again,
/// up to <see cref="Attempts"/> times, and otherwise reported with the note "moved on during the
/// dump". A task that is running is reported as running, not walked. So every chain in a dump is
/// one the task really was suspended in, between two of its polls; different tasks may be seen at
/// slightly different moments (as with tokio's dump on a busy runtime after its barrier times out).
/// </para>
/// <para>
/// Steps:
/// 1. Snapshot the registry (sharded locks, no global lock).
/// 2. Per task: read state and poll count; Running/Blocking/Completed → listed, not walked.
/// 3. Walk (<see cref="AsyncChainWalker"/>), then re-read state and poll count; retry or accept.
/// 4. The leaf at the bottom: the task's registered Spindle leaf (it describes itself) or the
///    walker's description of a foreign awaitable.
/// </para>
/// </remarks>
internal static class TaskDumper
{
    /// <summary>Three walks cover a task woken once or twice during the dump; a task busier than that is reported as moving.</summary>
    private const int Attempts = 3;

    public static TaskDump Take(RuntimeCore core)
    {
        List<TaskCore> tasks = core.Registry.Snapshot();
        var entries = new List<TaskDumpEntry>(tasks.Count);
        var frames = new List<TaskDumpFrame>();
        foreach (TaskCore task in tasks)
        {
            entries.Add(Describe(task, frames));
        }

        return new TaskDump(core.Options.Flavor, DateTimeOffset.UtcNow, entries);
    }

    private static TaskDumpEntry Describe(TaskCore task, List<TaskDumpFrame> frames)
    {
        TaskInfo info = RuntimeHandle.Describe(task);
        if (info.State is TaskState.Running or TaskState.Blocking or TaskState.Completed)
        {
            return new TaskDumpEntry(info, [], info.WaitingOn, info.State == TaskState.Running ? "running" : null);
        }

        if (!TaskDumpFeature.IsEnabled)
        {
            return new TaskDumpEntry(info, [], info.WaitingOn, "task dumps are switched off (" + TaskDumpFeature.SwitchName + ")");
        }

        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            long polls = task.PollCount;
            frames.Clear();
            LeafInfo? foreign = AsyncChainWalker.Walk(task, frames, out bool spindleLeaf, out string? note, out List<TaskDumpBranch>? branches);
            LeafInfo? leaf = spindleLeaf || foreign is null ? task.DescribeWait() ?? foreign : foreign;
            TaskState after = task.SnapshotState();
            if (after == TaskState.Completed)
            {
                return new TaskDumpEntry(RuntimeHandle.Describe(task), [], null, "completed during the dump");
            }

            if (after != TaskState.Running && task.PollCount == polls)
            {
                return new TaskDumpEntry(info, [.. frames], leaf, note, branches);
            }

            info = RuntimeHandle.Describe(task);
            if (info.State == TaskState.Running)
            {
                return new TaskDumpEntry(info, [], null, "running");
            }
        }

        return new TaskDumpEntry(info, [], info.WaitingOn, "moved on during the dump");
    }
}
