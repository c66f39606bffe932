using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// A handle to a runtime: spawn onto it from anywhere (inside or outside the runtime), read its
/// metrics and live tasks. Cheap to copy (tokio's <c>runtime::Handle</c>).
/// </summary>
/// <remarks><para><b>Thread safety:</b> every member may be used from any thread.</para></remarks>
public readonly struct RuntimeHandle : IEquatable<RuntimeHandle>
{
    private readonly RuntimeCore? _core;

    internal RuntimeHandle(RuntimeCore core) => _core = core;

    internal RuntimeCore Core => _core ?? throw new InvalidOperationException("This RuntimeHandle is default-initialized; get one from Runtime.Handle or RuntimeHandle.Current.");

    /// <summary>Gets the runtime of the calling task or worker thread.</summary>
    /// <exception cref="InvalidOperationException">Called outside a Spindle runtime.</exception>
    public static RuntimeHandle Current
    {
        get
        {
            RuntimeCore? core = RuntimeCore.Current;
            if (core is null)
            {
                ThrowHelper.ThrowNoRuntime("RuntimeHandle.Current");
            }

            return new RuntimeHandle(core);
        }
    }

    /// <summary>Gets the runtime of the calling task or worker thread, if there is one.</summary>
    /// <param name="handle">The handle, or default.</param>
    /// <returns><see langword="true"/> if the caller runs on a Spindle runtime.</returns>
    public static bool TryGetCurrent(out RuntimeHandle handle)
    {
        RuntimeCore? core = RuntimeCore.Current;
        handle = core is null ? default : new RuntimeHandle(core);
        return core is not null;
    }

    /// <summary>Gets the runtime's flavour.</summary>
    public RuntimeFlavor Flavor => Core.Options.Flavor;

    /// <summary>Gets live metrics of the runtime.</summary>
    public RuntimeMetrics Metrics => new(Core);

    /// <summary>Gets a <see cref="System.TimeProvider"/> on the runtime's clock (paused in tests), for code written against TimeProvider.</summary>
    public TimeProvider TimeProvider => Core.TimeProvider;

    /// <summary>Gets a <see cref="System.Threading.Tasks.TaskScheduler"/> that runs TPL work items as tasks of this runtime.</summary>
    public TaskScheduler TaskScheduler => Core.TaskScheduler;

    /// <summary>Spawns a task that returns a value.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The task's code; invoked on the runtime, not on the caller's thread.</param>
    /// <param name="name">An optional name, shown in listings and dumps.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle to await or abort the task.</returns>
    /// <exception cref="InvalidOperationException">The runtime has been shut down.</exception>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public JoinHandle<T> Spawn<T>(Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(Core.Spawn<T>(Core.Flavor, RootKind.TaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Spawns a task.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle to await or abort the task.</returns>
    /// <exception cref="InvalidOperationException">The runtime has been shut down.</exception>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public JoinHandle Spawn(Func<Task> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(Core.Spawn<VoidResult>(Core.Flavor, RootKind.Task, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Spawns a task written as a <see cref="ValueTask{TResult}"/> method.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public JoinHandle<T> Spawn<T>(Func<ValueTask<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(Core.Spawn<T>(Core.Flavor, RootKind.ValueTaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Spawns a task written as a <see cref="ValueTask"/> method.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public JoinHandle Spawn(Func<ValueTask> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(Core.Spawn<VoidResult>(Core.Flavor, RootKind.ValueTask, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Runs blocking code on the runtime's blocking pool, never on a worker.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The blocking code. It runs with no Spindle task current, so sync-over-async inside it cannot deadlock.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle. Abort only prevents a task that has not started; running code cannot be interrupted.</returns>
    public JoinHandle<T> SpawnBlocking<T>(Func<T> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(Core.Spawn<T>(Core.Blocking, RootKind.BlockingFunc, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Runs blocking code on the runtime's blocking pool.</summary>
    /// <param name="action">The blocking code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public JoinHandle SpawnBlocking(Action action, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(Core.Spawn<VoidResult>(Core.Blocking, RootKind.BlockingAction, action, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Lists the runtime's live tasks with their state, poll count and what they wait on.</summary>
    /// <returns>A snapshot; tasks may have moved on by the time it is read.</returns>
    public IReadOnlyList<TaskInfo> GetTasks()
    {
        List<TaskCore> tasks = Core.Registry.Snapshot();
        var infos = new List<TaskInfo>(tasks.Count);
        foreach (TaskCore task in tasks)
        {
            infos.Add(Describe(task));
        }

        return infos;
    }

    /// <summary>
    /// Takes a task dump: every live task with the async call chain where it is suspended (method,
    /// file:line of each <c>await</c>) and the leaf it waits on.
    /// </summary>
    /// <param name="cancellationToken">Cancels the dump before it starts.</param>
    /// <returns>The dump; render it with <see cref="TaskDump.ToString"/> or <see cref="TaskDump.ToJson"/>.</returns>
    /// <remarks>
    /// <para>
    /// The dump is one moment of the runtime, taken between polls as tokio takes its own: every
    /// worker (or the current-thread runtime's driving thread) pauses before its next poll, parked
    /// workers are woken to pause too, and all resume when the walk is done. A worker still inside
    /// one poll after 250 ms (synchronous work in a task) is not waited for: its task is reported as
    /// running and counted in <see cref="TaskDump.BusyWorkers"/>. Called from a task, the calling
    /// worker is the one taking the dump and is not waited for. See <see cref="TaskDump"/> for what
    /// can be read with and without a PDB, under trimming and AOT. The walker never calls user code.
    /// The first dump reads each module's PDB once.
    /// </para>
    /// <para>
    /// The dump is taken synchronously on the calling thread (the returned task is complete), so
    /// the caller's own task does not move while it is walked.
    /// </para>
    /// <para><b>Thread safety:</b> may be called from any thread, inside or outside the runtime.</para>
    /// </remarks>
    /// <example>
    /// <code>
    /// TaskDump dump = await RuntimeHandle.Current.DumpAsync();
    /// Console.Error.Write(dump);
    /// </code>
    /// </example>
    public ValueTask<TaskDump> DumpAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TaskDump>(cancellationToken);
        }

        return new ValueTask<TaskDump>(TaskDumper.Take(Core));
    }

    internal static TaskInfo Describe(TaskCore task)
    {
        TimeSpan? since = task.PollCount == 0 ? null : TimeSpan.FromMilliseconds(task.MillisecondsSinceLastPoll(Environment.TickCount64));
        TaskState state = task.SnapshotState();
        // A scheduled task waits on nothing; the leaf that woke it stays registered until it resumes.
        LeafInfo? waitingOn = state == TaskState.Scheduled ? null : task.DescribeWait();
        return new TaskInfo(task.Id, task.Name, task.SpawnFilePath, task.SpawnLineNumber, task.SpawnMemberName,
            state, task.PollCount, since, waitingOn);
    }

    /// <inheritdoc/>
    public bool Equals(RuntimeHandle other) => ReferenceEquals(_core, other._core);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RuntimeHandle other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _core?.GetHashCode() ?? 0;

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">A handle.</param>
    /// <returns><see langword="true"/> if both refer to the same runtime.</returns>
    public static bool operator ==(RuntimeHandle left, RuntimeHandle right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">A handle.</param>
    /// <returns><see langword="true"/> if they refer to different runtimes.</returns>
    public static bool operator !=(RuntimeHandle left, RuntimeHandle right) => !left.Equals(right);
}
