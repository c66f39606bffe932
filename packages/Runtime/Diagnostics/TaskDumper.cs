using System;
using System.Collections.Generic;
using Spindle.Scheduling;

namespace Spindle.Diagnostics;

/// <summary>
/// Takes a <see cref="TaskDump"/> of a runtime: lists the registry and walks each idle task.
/// </summary>
/// <remarks>
/// <para>
/// Consistency, as in tokio: the dump is taken between polls. <see cref="RuntimeScheduler.PauseForDump"/>
/// stops every worker (or the current-thread driver) before its next poll and wakes parked ones, so
/// while the tasks are walked none of them moves, and the whole dump is one moment of the runtime.
/// A worker still inside one poll after <see cref="PauseTimeout"/> (synchronous work in a task) is
/// not waited for: its task is reported as running, not walked, and <see cref="TaskDump.BusyWorkers"/>
/// says so. The dumping thread itself, if it is a worker, is not waited for either.
/// </para>
/// <para>
/// Second line of defence for those busy workers (a poll that ends during the walk lets the worker
/// arrive, but the task it polled has moved): a walk is trusted only if the task's state and poll
/// count did not change across it; otherwise it is walked again, up to <see cref="Attempts"/>
/// times, and then reported with the note "moved on during the dump".
/// </para>
/// <para>
/// Steps:
/// 1. Pause the pollers; snapshot the registry (a lock-free read of its slot tables).
/// 2. Per task: read state and poll count; Running/Blocking/Completed → listed, not walked.
/// 3. Walk (<see cref="AsyncChainWalker"/>), then re-read state and poll count; retry or accept.
/// 4. The leaf at the bottom: the task's registered Spindle leaf (it describes itself) or the
///    walker's description of a foreign awaitable.
/// 5. Let the pollers go on.
/// </para>
/// </remarks>
internal static class TaskDumper
{
    /// <summary>Three walks cover a task woken once or twice during the dump; a task busier than that is reported as moving.</summary>
    private const int Attempts = 3;

    /// <summary>How long a dump waits for a worker to finish its current poll before it reports that worker's task as running.</summary>
    internal static readonly TimeSpan PauseTimeout = TimeSpan.FromMilliseconds(250);

    public static TaskDump Take(RuntimeCore core)
    {
        using DumpPauseScope pause = core.Flavor.PauseForDump(PauseTimeout);
        List<TaskCore> tasks = core.Registry.Snapshot();
        var entries = new List<TaskDumpEntry>(tasks.Count);
        var frames = new List<TaskDumpFrame>();
        foreach (TaskCore task in tasks)
        {
            entries.Add(Describe(task, frames));
        }

        return new TaskDump(core.Options.Flavor, DateTimeOffset.UtcNow, entries, pause.BusyPollers);
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
