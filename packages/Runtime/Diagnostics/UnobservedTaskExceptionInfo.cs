using System;

namespace Spindle.Diagnostics;

/// <summary>
/// A task's exception that nobody was waiting for when it was thrown, or an exception thrown by
/// runtime-internal user callbacks, handed to the handler set with
/// <see cref="RuntimeBuilder.OnUnobservedTaskException"/>.
/// </summary>
/// <remarks><para><b>Thread safety:</b> immutable.</para></remarks>
public sealed class UnobservedTaskExceptionInfo
{
    internal UnobservedTaskExceptionInfo(long taskId, string? taskName, string? spawnFilePath, int spawnLineNumber, Exception exception)
    {
        TaskId = taskId;
        TaskName = taskName;
        SpawnFilePath = spawnFilePath;
        SpawnLineNumber = spawnLineNumber;
        Exception = exception;
    }

    /// <summary>Gets the id of the task that threw.</summary>
    public long TaskId { get; }

    /// <summary>Gets the task's name, or null.</summary>
    public string? TaskName { get; }

    /// <summary>Gets the file where the task was spawned.</summary>
    public string? SpawnFilePath { get; }

    /// <summary>Gets the line where the task was spawned.</summary>
    public int SpawnLineNumber { get; }

    /// <summary>Gets the exception.</summary>
    public Exception Exception { get; }
}
