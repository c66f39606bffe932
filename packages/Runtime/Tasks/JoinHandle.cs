using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// The handle of a task that produces no value (or whose value is not needed): await it to wait
/// for the task and observe its exception, or <see cref="Abort"/> it. See <see cref="JoinHandle{T}"/>.
/// </summary>
/// <remarks>
/// <para><b>Cancellation:</b> if the awaiting task is aborted while it waits, the await throws
/// <see cref="OperationCanceledException"/> and the joined task keeps running.</para>
/// <para><b>Thread safety:</b> <see cref="Abort"/> and the properties may be used from any thread; one await at a time.</para>
/// </remarks>
public readonly struct JoinHandle : IEquatable<JoinHandle>
{
    private readonly TaskCore? _task;

    internal JoinHandle(TaskCore task) => _task = task;

    internal TaskCore Task => _task ?? throw new InvalidOperationException("This JoinHandle is default-initialized; obtain handles from Spawn.");

    /// <summary>Gets the task's id, unique within the process.</summary>
    public long Id => Task.Id;

    /// <summary>Gets the task's name, or null.</summary>
    public string? Name => Task.Name;

    /// <summary>Gets whether the task has finished.</summary>
    public bool IsFinished => Task.IsCompleted;

    /// <summary>Aborts the task (see <see cref="JoinHandle{T}.Abort"/>).</summary>
    public void Abort() => Task.Abort();

    /// <summary>Gets an awaiter so the handle can be awaited directly.</summary>
    /// <returns>The awaiter.</returns>
#pragma warning disable CA2012 // The value task is consumed by the awaiter it is turned into.
    [EditorBrowsable(EditorBrowsableState.Never)]
    // No caller info: it would name this file. A task dump's frame carries the await's line.
    public ValueTaskAwaiter GetAwaiter() => AsValueTask(null, 0).GetAwaiter();
#pragma warning restore CA2012

    /// <summary>Configures how the await resumes.</summary>
    /// <param name="continueOnCapturedContext"><see langword="false"/> to resume off the runtime.</param>
    /// <returns>A configured awaitable.</returns>
    public ConfiguredValueTaskAwaitable ConfigureAwait(bool continueOnCapturedContext) => AsValueTask(null, 0).ConfigureAwait(continueOnCapturedContext);

    /// <summary>Returns a <see cref="ValueTask"/> that completes when the task does (one await).</summary>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <returns>The completion as a value task.</returns>
    public ValueTask AsValueTask([CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0)
    {
        TaskCore task = Task;
        // One thread-static read serves the cancellation check and the budget.
        ThreadData? thread = ThreadData.IfCreated;
        thread?.Task?.ThrowIfCancelled();
        if (task.IsCompleted)
        {
            if (!Coop.TryConsume(thread))
            {
                return JoinAfterYieldAsync((IValueTaskSource)task);
            }

            // A success needs no source behind the value task: the awaiter's checks and result
            // then cost no interface calls. Failures go through the source, which throws.
            return task.IsCompletedSuccessfully ? default : new ValueTask((IValueTaskSource)task, 0);
        }

        ((IJoinable)task).RecordJoiner(callerFilePath, callerLineNumber);
        return new ValueTask((IValueTaskSource)task, 0);
    }

    /// <summary>Returns a <see cref="System.Threading.Tasks.Task"/> that any number of awaiters may share.</summary>
    /// <returns>A task completing with the task's outcome.</returns>
    // No caller info: it would name this file (and cost the task its extras object).
    public Task AsTask() => AsValueTask(null, 0).AsTask();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask JoinAfterYieldAsync(IValueTaskSource source)
    {
        await SpindleTask.YieldAsync();
        await new ValueTask(source, 0);
    }

    /// <inheritdoc/>
    public bool Equals(JoinHandle other) => ReferenceEquals(_task, other._task);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is JoinHandle other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _task?.GetHashCode() ?? 0;

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">A handle.</param>
    /// <returns><see langword="true"/> if both refer to the same task.</returns>
    public static bool operator ==(JoinHandle left, JoinHandle right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">A handle.</param>
    /// <returns><see langword="true"/> if they refer to different tasks.</returns>
    public static bool operator !=(JoinHandle left, JoinHandle right) => !left.Equals(right);
}
