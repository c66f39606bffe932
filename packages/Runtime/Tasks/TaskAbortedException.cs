using System;
using System.Globalization;

namespace Spindle;

/// <summary>
/// Thrown when awaiting the handle of a task that was aborted (by <see cref="JoinHandle.Abort"/>,
/// a <see cref="JoinSet{T}"/>, or runtime shutdown) before it produced a result.
/// </summary>
public sealed class TaskAbortedException : OperationCanceledException
{
    /// <summary>Creates the exception for a task.</summary>
    /// <param name="taskId">The aborted task's id.</param>
    /// <param name="taskName">The aborted task's name, or null.</param>
    public TaskAbortedException(long taskId, string? taskName)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Task #{taskId}{(taskName is null ? "" : $" \"{taskName}\"")} was aborted before it produced a result."))
    {
        TaskId = taskId;
        TaskName = taskName;
    }

    /// <summary>Creates the exception with a message.</summary>
    public TaskAbortedException()
        : base("The task was aborted before it produced a result.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public TaskAbortedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TaskAbortedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the id of the aborted task, or 0 if unknown.</summary>
    public long TaskId { get; }

    /// <summary>Gets the name of the aborted task, or null.</summary>
    public string? TaskName { get; }
}
