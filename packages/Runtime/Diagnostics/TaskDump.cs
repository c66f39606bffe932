using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Spindle.Diagnostics;

/// <summary>
/// Every live task of a runtime with the async call chain where it is suspended (file:line of each
/// <c>await</c>, from the portable PDB) and the leaf it waits on: the .NET form of a Go goroutine
/// dump, taken in process by <see cref="RuntimeHandle.DumpAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>What can be read.</b> Frames come from the compiler's async state machines (the task's root
/// <see cref="System.Threading.Tasks.Task"/> or <see cref="System.Threading.Tasks.ValueTask"/> is a
/// state-machine box whose active awaiter holds the next task down). Lines need the portable PDB
/// beside the assembly or embedded in it; without it frames have names only. Where a chain fans
/// out (<c>Task.WhenAll</c> over <c>Task&lt;T&gt;</c>, two-task <c>Task.WhenAny</c>) each pending
/// child is a <see cref="TaskDumpBranch"/>; where it cannot descend (non-generic
/// <c>Task.WhenAll</c>, <c>Task.Run</c>, runtime-async code) the leaf or a note says so, and a task
/// that is running is reported as running.
/// Under NativeAOT or trimming the compiler-generated fields may be gone: tasks are then listed
/// with their state and leaf but without frames. The feature switch
/// <c>Spindle.Diagnostics.TaskDumps</c> (default on; <c>&lt;RuntimeHostConfigurationOption&gt;</c>
/// or <c>AppContext.SetSwitch</c>) turns the walker off and lets the trimmer remove it.
/// </para>
/// <para><b>Thread safety:</b> immutable.</para>
/// </remarks>
public sealed class TaskDump
{
    internal TaskDump(RuntimeFlavor flavor, DateTimeOffset takenAt, IReadOnlyList<TaskDumpEntry> tasks, int busyWorkers)
    {
        Flavor = flavor;
        TakenAt = takenAt;
        Tasks = tasks;
        BusyWorkers = busyWorkers;
    }

    /// <summary>Gets the flavour of the runtime that was dumped.</summary>
    public RuntimeFlavor Flavor { get; }

    /// <summary>Gets the wall-clock time the dump was taken.</summary>
    public DateTimeOffset TakenAt { get; }

    /// <summary>Gets the tasks, in registry order.</summary>
    public IReadOnlyList<TaskDumpEntry> Tasks { get; }

    /// <summary>
    /// Gets how many worker threads were still inside one poll when the dump stopped waiting for
    /// them (a task running synchronous code for longer than the pause timeout). Their tasks are
    /// listed as running and not walked. Zero means the dump saw every task at one moment, between
    /// polls, like tokio's.
    /// </summary>
    public int BusyWorkers { get; }

    /// <summary>Renders the dump as JSON for tools (camelCase, enums as strings).</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, TaskDumpJsonContext.Default.TaskDump);

    /// <summary>
    /// Renders the dump as a readable tree: one block per task, its frames innermost first (like a
    /// stack trace), then the leaf it waits on.
    /// </summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"task dump ({Flavor}, {Tasks.Count} tasks, {TakenAt:u}");
        if (BusyWorkers > 0)
        {
            builder.Append(CultureInfo.InvariantCulture, $", {BusyWorkers} busy worker(s) not paused");
        }

        builder.Append(")\n");
        foreach (TaskDumpEntry entry in Tasks)
        {
            builder.Append('\n');
            Render(builder, entry);
        }

        return builder.ToString();
    }

    internal static void Render(StringBuilder builder, TaskDumpEntry entry)
    {
        TaskInfo task = entry.Task;
        builder.Append(CultureInfo.InvariantCulture, $"task #{task.Id}");
        if (task.Name is not null)
        {
            builder.Append(" \"").Append(task.Name).Append('"');
        }

        builder.Append(CultureInfo.InvariantCulture, $" {task.State}, {task.PollCount} polls");
        if (task.SinceLastPoll is { } since)
        {
            builder.Append(CultureInfo.InvariantCulture, $", last poll {since.TotalMilliseconds:0} ms ago");
        }

        builder.Append(CultureInfo.InvariantCulture, $", spawned at {System.IO.Path.GetFileName(task.SpawnFilePath)}:{task.SpawnLineNumber} ({task.SpawnMemberName})");
        if (entry.Note is not null)
        {
            builder.Append(" [").Append(entry.Note).Append(']');
        }

        builder.Append('\n');
        RenderChain(builder, "  ", entry.Frames, entry.WaitingOn, entry.Branches);
    }

    /// <summary>One chain, innermost first: its leaf or its branches (indented under ├), then its frames.</summary>
    private static void RenderChain(StringBuilder builder, string indent, IReadOnlyList<TaskDumpFrame> frames, LeafInfo? waitingOn, IReadOnlyList<TaskDumpBranch> branches)
    {
        if (waitingOn is not null)
        {
            builder.Append(indent).Append("└ waiting on ").Append(waitingOn).Append('\n');
        }

        for (int b = 0; b < branches.Count; b++)
        {
            TaskDumpBranch branch = branches[b];
            builder.Append(indent).Append(CultureInfo.InvariantCulture, $"├ branch {b + 1} of {branches.Count}");
            if (branch.Note is not null)
            {
                builder.Append(" [").Append(branch.Note).Append(']');
            }

            builder.Append('\n');
            RenderChain(builder, indent + "│ ", branch.Frames, branch.WaitingOn, branch.Branches);
        }

        for (int i = frames.Count - 1; i >= 0; i--)
        {
            builder.Append(indent).Append("  at ").Append(frames[i]).Append('\n');
        }
    }
}
