using System;
using System.Runtime.ExceptionServices;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// The outcome of a task taken from a <see cref="JoinSet{T}"/>: its value, the exception it threw,
/// or the fact that it was aborted. Reading <see cref="Value"/> rethrows a failure, like awaiting a handle.
/// </summary>
/// <typeparam name="T">The task's result type.</typeparam>
/// <remarks><para><b>Thread safety:</b> an immutable value.</para></remarks>
public readonly struct JoinResult<T>
{
    private readonly T? _value;
    private readonly ExceptionDispatchInfo? _error;
    private readonly JoinOutcome _outcome;

    internal JoinResult(long id, string? name, JoinOutcome outcome, T? value, ExceptionDispatchInfo? error)
    {
        TaskId = id;
        TaskName = name;
        _outcome = outcome;
        _value = value;
        _error = error;
    }

    /// <summary>Gets the id of the task.</summary>
    public long TaskId { get; }

    /// <summary>Gets the name of the task, or null.</summary>
    public string? TaskName { get; }

    /// <summary>Gets whether the task returned a value.</summary>
    public bool IsSucceeded => _outcome == JoinOutcome.Succeeded;

    /// <summary>Gets whether the task threw.</summary>
    public bool IsFaulted => _outcome == JoinOutcome.Faulted;

    /// <summary>Gets whether the task was aborted before it produced a result.</summary>
    public bool IsAborted => _outcome == JoinOutcome.Aborted;

    /// <summary>Gets the exception the task threw, or null.</summary>
    public Exception? Exception => _error?.SourceException;

    /// <summary>Gets the task's value.</summary>
    /// <exception cref="TaskAbortedException">The task was aborted.</exception>
    /// <remarks><para><b>Exceptions:</b> rethrows, with its original stack, the exception the task threw.</para></remarks>
    public T Value
    {
        get
        {
            if (_outcome == JoinOutcome.Aborted)
            {
                throw new TaskAbortedException(TaskId, TaskName);
            }

            _error?.Throw();
            return _value!;
        }
    }

    /// <summary>Gets the value if the task succeeded.</summary>
    /// <param name="value">The value, or default.</param>
    /// <returns><see langword="true"/> if the task succeeded.</returns>
    public bool TryGetValue(out T value)
    {
        value = _value!;
        return _outcome == JoinOutcome.Succeeded;
    }
}
