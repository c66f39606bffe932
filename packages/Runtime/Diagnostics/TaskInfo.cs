using System;
using System.Globalization;

namespace Spindle.Diagnostics;

/// <summary>A snapshot of one live task, as returned by <see cref="RuntimeHandle.GetTasks"/>.</summary>
/// <remarks><para><b>Thread safety:</b> immutable; it does not change when the task moves on.</para></remarks>
public sealed class TaskInfo
{
    internal TaskInfo(long id, string? name, string? spawnFilePath, int spawnLineNumber, string? spawnMemberName,
        TaskState state, long pollCount, TimeSpan? sinceLastPoll, LeafInfo? waitingOn)
    {
        Id = id;
        Name = name;
        SpawnFilePath = spawnFilePath;
        SpawnLineNumber = spawnLineNumber;
        SpawnMemberName = spawnMemberName;
        State = state;
        PollCount = pollCount;
        SinceLastPoll = sinceLastPoll;
        WaitingOn = waitingOn;
    }

    /// <summary>Gets the task's id, unique within the process.</summary>
    public long Id { get; }

    /// <summary>Gets the name given at spawn, or null.</summary>
    public string? Name { get; }

    /// <summary>Gets the file of the code that spawned the task.</summary>
    public string? SpawnFilePath { get; }

    /// <summary>Gets the line of the code that spawned the task.</summary>
    public int SpawnLineNumber { get; }

    /// <summary>Gets the member that spawned the task.</summary>
    public string? SpawnMemberName { get; }

    /// <summary>Gets the task's state when the snapshot was taken.</summary>
    public TaskState State { get; }

    /// <summary>Gets how many times the task has been polled.</summary>
    public long PollCount { get; }

    /// <summary>Gets the real (wall-clock, millisecond resolution) time since the task's last poll ended, or null if it was never polled.</summary>
    public TimeSpan? SinceLastPoll { get; }

    /// <summary>Gets the Spindle leaf the task is suspended on, or null (running, scheduled, or waiting on a foreign awaitable).</summary>
    public LeafInfo? WaitingOn { get; }

    /// <summary>Returns e.g. <c>task #3 "reader" Idle, 5 polls, spawned at Program.cs:12, waiting on sleep …</c>.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"task #{Id}{(Name is null ? "" : $" \"{Name}\"")} {State}, {PollCount} polls, spawned at {System.IO.Path.GetFileName(SpawnFilePath)}:{SpawnLineNumber} ({SpawnMemberName}){(WaitingOn is null ? "" : $", waiting on {WaitingOn}")}");
}
