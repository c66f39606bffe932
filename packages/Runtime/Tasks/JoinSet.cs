using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// A set of spawned tasks whose results are taken in completion order (tokio's <c>JoinSet</c>).
/// Disposing the set aborts the tasks still in it.
/// </summary>
/// <typeparam name="T">The tasks' result type.</typeparam>
/// <remarks>
/// <para><b>Cancellation:</b> if <see cref="JoinNextAsync"/> is cancelled (token, abort, timeout)
/// no result is taken: every completed task stays in the set for the next call.</para>
/// <para><b>Thread safety:</b> spawning, aborting and counting are thread-safe; one
/// <see cref="JoinNextAsync"/> at a time.</para>
/// </remarks>
/// <example>
/// <code>
/// using var set = new JoinSet&lt;int&gt;();
/// for (int i = 0; i &lt; 10; i++) { int n = i; set.Spawn(async () =&gt; { await Time.SleepAsync(TimeSpan.FromMilliseconds(n)); return n; }); }
/// while (await set.JoinNextAsync() is { } done) { Console.WriteLine(done.Value); }
/// </code>
/// </example>
public sealed class JoinSet<T> : IDisposable, IJoinSetMember, IValueTaskSource<JoinResult<T>?>, ILeaf
{
    private readonly Lock _gate = new();
    private readonly HashSet<TaskCell<T>> _running = new();
    private readonly Queue<TaskCell<T>> _completed = new();
    // Mutable struct: never readonly.
    private LeafWait _wait;

    // Under _gate: a JoinNextAsync waits and nobody has claimed its completion yet. A completer (or a
    // canceller) claims it under the lock and completes it outside; one that finds no wait leaves the
    // task in _completed. Completing without that claim let a completion that lost the race to a
    // synchronous JoinNextAsync end the caller's next wait with nothing to take (a null result while
    // tasks were still running).
    private bool _waiting;
    private bool _disposed;

    /// <summary>Gets the number of tasks in the set (running, or finished and not yet joined).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _running.Count + _completed.Count;
            }
        }
    }

    /// <summary>Gets whether the set holds no task.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Spawns a task into the set on the current runtime.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The task's id.</returns>
    /// <exception cref="ObjectDisposedException">The set was disposed.</exception>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public long Spawn(Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        SpawnOn(RuntimeHandle.Current, RootKind.TaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Spawns a <see cref="ValueTask{TResult}"/> task into the set on the current runtime.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The task's id.</returns>
    public long Spawn(Func<ValueTask<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        SpawnOn(RuntimeHandle.Current, RootKind.ValueTaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Spawns a task into the set on the given runtime.</summary>
    /// <param name="runtime">Where to run it.</param>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The task's id.</returns>
    public long SpawnOn(RuntimeHandle runtime, Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        SpawnOn(runtime, RootKind.TaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName);

    private long SpawnOn(RuntimeHandle runtime, RootKind kind, object function, string? name, string? file, int line, string? member)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RuntimeCore core = runtime.Core;
        return core.Spawn<T>(core.Flavor, kind, function, name, file, line, member, joinSet: this).Id;
    }

    void IJoinSetMember.OnMemberAdded(TaskCore task)
    {
        lock (_gate)
        {
            _running.Add((TaskCell<T>)task);
        }
    }

    bool IJoinSetMember.OnMemberCompleted(TaskCore task)
    {
        lock (_gate)
        {
            if (!_running.Remove((TaskCell<T>)task) || _disposed)
            {
                // Disposed: nobody will join it, so a failure is reported as unobserved by the task.
                return false;
            }

            _completed.Enqueue((TaskCell<T>)task);
            if (!_waiting)
            {
                return true;
            }

            _waiting = false;
        }

        // Outside the lock: completing the waiter dispatches its continuation.
        _wait.TryComplete(null);
        return true;
    }

    /// <summary>
    /// Waits for the next task to finish and returns its outcome, or null when the set is empty.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early; no result is lost.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The outcome of a finished task (never throws for the task's own failure), or null.</returns>
    public ValueTask<JoinResult<T>?> JoinNextAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        short token;
        lock (_gate)
        {
            // A disposed set has forgotten its tasks: it answers null at once, as an empty one does.
            if (_completed.Count > 0 || _running.Count == 0 || _disposed)
            {
                if (Coop.TryConsume())
                {
                    return new ValueTask<JoinResult<T>?>(TakeCompletedLocked());
                }

                return JoinAfterYieldAsync(cancellationToken);
            }

            // Before Begin: a token that fires inside Begin cancels through the claim.
            _waiting = true;
            token = _wait.Begin(this, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
        }

        return new ValueTask<JoinResult<T>?>(this, token);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<JoinResult<T>?> JoinAfterYieldAsync(CancellationToken cancellationToken)
    {
        await SpindleTask.YieldAsync();
        return await JoinNextAsync(cancellationToken);
    }

    /// <summary>Takes the outcome of a finished task if there is one, without waiting.</summary>
    /// <param name="result">The outcome, or default.</param>
    /// <returns><see langword="true"/> if a finished task was taken.</returns>
    public bool TryJoinNext(out JoinResult<T> result)
    {
        lock (_gate)
        {
            JoinResult<T>? taken = _completed.Count > 0 ? TakeCompletedLocked() : null;
            result = taken.GetValueOrDefault();
            return taken.HasValue;
        }
    }

    private JoinResult<T>? TakeCompletedLocked() =>
        _completed.TryDequeue(out TaskCell<T>? cell) ? cell.ToJoinResult() : null;

    /// <summary>Aborts every task in the set; they stay in the set until joined (as aborted, or with their result if they finished first).</summary>
    public void AbortAll()
    {
        TaskCell<T>[] running;
        lock (_gate)
        {
            running = [.. _running];
        }

        foreach (TaskCell<T> cell in running)
        {
            cell.Abort();
        }
    }

    /// <summary>
    /// Aborts the tasks still in the set and forgets them. A task that failed and was never joined (finished
    /// before the Dispose, or failing while it unwinds after) is reported as an unobserved failure, through
    /// <see cref="RuntimeBuilder.OnUnobservedTaskException"/>, as any unjoined failed task is. A
    /// <see cref="JoinNextAsync"/> waiting at the time, or called later, returns null.
    /// </summary>
    public void Dispose()
    {
        TaskCell<T>[] unjoined;
        bool wakeJoiner;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            unjoined = [.. _completed];
            _completed.Clear();
            // A JoinNextAsync waiting now ends with null: no member will complete it any more.
            wakeJoiner = _waiting;
            _waiting = false;
        }

        if (wakeJoiner)
        {
            _wait.TryComplete(null);
        }

        foreach (TaskCell<T> cell in unjoined)
        {
            if (cell.Outcome == JoinOutcome.Faulted)
            {
                cell.Runtime.ReportUnobserved(cell, cell.ExtrasIfCreated!.Error!.SourceException);
            }
        }

        AbortAll();
    }

    ValueTaskSourceStatus IValueTaskSource<JoinResult<T>?>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<JoinResult<T>?>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    JoinResult<T>? IValueTaskSource<JoinResult<T>?>.GetResult(short token)
    {
        _wait.GetResult(this, token);
        lock (_gate)
        {
            return TakeCompletedLocked();
        }
    }

    bool ILeaf.TryCancelWait(Exception error)
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                return false;
            }

            _waiting = false;
        }

        return _wait.TryComplete(error);
    }

    LeafInfo ILeaf.Describe() => _wait.Describe("join set", $"{Count} task(s)");
}
