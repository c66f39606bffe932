using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// An owned permission to await a spawned task's result and to abort it, like tokio's <c>JoinHandle</c>.
/// Awaiting it returns the task's value, rethrows its exception, or throws
/// <see cref="TaskAbortedException"/> if it was aborted.
/// </summary>
/// <typeparam name="T">The task's result type.</typeparam>
/// <remarks>
/// <para>
/// Dropping the handle does not stop the task (it is detached); call <see cref="Abort"/> to stop it.
/// A task that throws while nobody awaits its handle is reported to the runtime's unobserved-exception
/// handler, and its handle still rethrows later.
/// </para>
/// <para><b>Cancellation:</b> if the awaiting task is aborted (or its timeout expires) while it waits,
/// the await throws <see cref="OperationCanceledException"/> and the joined task keeps running; the
/// handle can be awaited again.</para>
/// <para><b>Thread safety:</b> <see cref="Abort"/> and the properties may be used from any thread.
/// One await at a time; use <see cref="AsTask"/> to share the result among several awaiters.</para>
/// </remarks>
/// <example>
/// <code>
/// JoinHandle&lt;int&gt; handle = SpindleTask.Spawn(async () => { await Time.SleepAsync(TimeSpan.FromMilliseconds(5)); return 42; });
/// int answer = await handle;
/// </code>
/// </example>
public readonly struct JoinHandle<T> : IEquatable<JoinHandle<T>>
{
    private readonly TaskCell<T>? _cell;

    internal JoinHandle(TaskCell<T> cell) => _cell = cell;

    internal TaskCell<T> Cell => _cell ?? throw new InvalidOperationException("This JoinHandle is default-initialized; obtain handles from Spawn.");

    /// <summary>Gets the task's id, unique within the process.</summary>
    public long Id => Cell.Id;

    /// <summary>Gets the task's name, or null.</summary>
    public string? Name => Cell.Name;

    /// <summary>Gets whether the task has finished (returned, thrown or been aborted).</summary>
    public bool IsFinished => Cell.IsCompleted;

    /// <summary>
    /// Aborts the task: if it waits on a Spindle awaitable that await throws
    /// <see cref="OperationCanceledException"/> now; otherwise its <see cref="SpindleTask.CancellationToken"/>
    /// is cancelled and its next Spindle await throws. <c>finally</c> blocks and <c>using</c> run.
    /// Aborting a finished task does nothing.
    /// </summary>
    public void Abort() => Cell.Abort();

    /// <summary>Gets an awaiter so the handle can be awaited directly.</summary>
    /// <returns>The awaiter.</returns>
#pragma warning disable CA2012 // The value task is consumed by the awaiter it is turned into.
    [EditorBrowsable(EditorBrowsableState.Never)]
    // No caller info: it would name this file. A task dump's frame carries the await's line.
    public ValueTaskAwaiter<T> GetAwaiter() => AsValueTask(null, 0).GetAwaiter();
#pragma warning restore CA2012

    /// <summary>Configures how the await resumes.</summary>
    /// <param name="continueOnCapturedContext"><see langword="false"/> to resume off the runtime (see <see cref="SpindleTask"/>).</param>
    /// <returns>A configured awaitable.</returns>
    public ConfiguredValueTaskAwaitable<T> ConfigureAwait(bool continueOnCapturedContext) => AsValueTask(null, 0).ConfigureAwait(continueOnCapturedContext);

    /// <summary>Returns a <see cref="ValueTask{T}"/> for the task's result (one await).</summary>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <returns>The result as a value task.</returns>
    public ValueTask<T> AsValueTask([CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0)
    {
        TaskCell<T> cell = Cell;
        // One thread-static read serves the cancellation check and the budget.
        ThreadData? thread = ThreadData.IfCreated;
        thread?.Task?.ThrowIfCancelled();
        if (cell.IsCompleted)
        {
            if (!Coop.TryConsume(thread))
            {
                return JoinAfterYieldAsync(cell);
            }

            // As JoinHandle's: a success is returned as a value, without the source's interface calls.
            return cell.IsCompletedSuccessfully ? new ValueTask<T>(cell.SucceededResult) : new ValueTask<T>(cell, 0);
        }

        cell.RecordJoiner(callerFilePath, callerLineNumber);
        return new ValueTask<T>(cell, 0);
    }

    /// <summary>Returns a <see cref="Task{T}"/> for the result that any number of awaiters may share.</summary>
    /// <returns>A task completing with the task's outcome.</returns>
    // No caller info: it would name this file (and cost the task its extras object).
    public Task<T> AsTask() => AsValueTask(null, 0).AsTask();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<T> JoinAfterYieldAsync(TaskCell<T> cell)
    {
        // Out of budget: give way to other tasks first (DESIGN.md §2, coop budget).
        await SpindleTask.YieldAsync();
        return await new ValueTask<T>(cell, 0);
    }

    /// <summary>Converts to the untyped handle (to abort or await completion without the value).</summary>
    /// <param name="handle">The handle.</param>
    public static implicit operator JoinHandle(JoinHandle<T> handle) => new(handle.Cell);

    /// <summary>Converts to the untyped handle.</summary>
    /// <returns>The untyped handle of the same task.</returns>
    public JoinHandle ToJoinHandle() => this;

    /// <inheritdoc/>
    public bool Equals(JoinHandle<T> other) => ReferenceEquals(_cell, other._cell);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is JoinHandle<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _cell?.GetHashCode() ?? 0;

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">A handle.</param>
    /// <returns><see langword="true"/> if both refer to the same task.</returns>
    public static bool operator ==(JoinHandle<T> left, JoinHandle<T> right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">A handle.</param>
    /// <returns><see langword="true"/> if they refer to different tasks.</returns>
    public static bool operator !=(JoinHandle<T> left, JoinHandle<T> right) => !left.Equals(right);
}
