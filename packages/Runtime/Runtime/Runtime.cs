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
/// A Spindle runtime: a scheduler that owns its tasks, with timers, a blocking pool, hooks and
/// metrics (tokio's <c>Runtime</c>). Build one with <see cref="RuntimeBuilder"/>, enter it with
/// <c>BlockOn</c>, dispose it to shut it down.
/// </summary>
/// <remarks>
/// <para>
/// Disposing aborts every task, lets them unwind (their <c>finally</c> blocks run) for up to the
/// shutdown timeout, stops the workers, and reports on stderr any task that did not finish (stuck in
/// an await the runtime cannot cancel). Later spawns throw <see cref="InvalidOperationException"/>.
/// </para>
/// <para><b>Thread safety:</b> every member may be used from any thread, except that <c>BlockOn</c>
/// and <see cref="Dispose"/> must not be called from inside the runtime.</para>
/// </remarks>
/// <example>
/// <code>
/// public static int Main() =&gt; Runtime.Run(async () =&gt; { await Time.SleepAsync(TimeSpan.FromMilliseconds(10)); return 0; });
/// </code>
/// </example>
public sealed class Runtime : IDisposable
{
    private readonly RuntimeCore _core;
    private readonly IDisposable? _dumpTrigger;

    internal Runtime(RuntimeCore core, IDisposable? dumpTrigger = null)
    {
        _core = core;
        _dumpTrigger = dumpTrigger;
    }

    internal RuntimeCore Core => _core;

    /// <summary>Gets a handle for spawning onto this runtime from anywhere.</summary>
    public RuntimeHandle Handle => new(_core);

    /// <summary>Gets live metrics of the runtime.</summary>
    public RuntimeMetrics Metrics => new(_core);

    /// <summary>Runs <paramref name="main"/> on a new default multi-thread runtime, then shuts it down: the one-line entry for <c>Main</c>.</summary>
    /// <param name="main">The program.</param>
    /// <returns>The program's exit code.</returns>
    public static int Run(Func<Task<int>> main)
    {
        using Runtime runtime = RuntimeBuilder.CreateMultiThread().Build();
        return runtime.BlockOn(main);
    }

    /// <summary>Runs <paramref name="main"/> on a new default multi-thread runtime, then shuts it down.</summary>
    /// <param name="main">The program.</param>
    public static void Run(Func<Task> main)
    {
        using Runtime runtime = RuntimeBuilder.CreateMultiThread().Build();
        runtime.BlockOn(main);
    }

    /// <summary>Runs <paramref name="function"/> as a task and blocks the calling thread until it finishes.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The work.</param>
    /// <param name="name">An optional task name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The result.</returns>
    /// <exception cref="InvalidOperationException">Called from inside a runtime (a worker, a task, or another BlockOn), or after shutdown.</exception>
    /// <exception cref="TaskAbortedException">The task was aborted (e.g. the runtime was disposed from another thread).</exception>
    /// <remarks><para><b>Exceptions:</b> an exception thrown by <paramref name="function"/> is rethrown with its original stack.</para></remarks>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public T BlockOn<T>(Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        BlockOnCore<T>(RootKind.TaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Runs <paramref name="function"/> as a task and blocks until it finishes.</summary>
    /// <param name="function">The work.</param>
    /// <param name="name">An optional task name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <exception cref="InvalidOperationException">Called from inside a runtime, or after shutdown.</exception>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public void BlockOn(Func<Task> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        BlockOnCore<VoidResult>(RootKind.Task, function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Runs a <see cref="ValueTask{TResult}"/> function as a task and blocks until it finishes.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The work.</param>
    /// <param name="name">An optional task name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The result.</returns>
    public T BlockOn<T>(Func<ValueTask<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        BlockOnCore<T>(RootKind.ValueTaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName);

    private T BlockOnCore<T>(RootKind kind, object function, string? name, string? file, int line, string? member)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (TaskCore.Current is not null || RuntimeCore.ThreadRuntime is not null)
        {
            ThrowHelper.ThrowBlockOnReentrant();
        }

        RuntimeScheduler flavor = _core.Flavor;
        // Not disposed: the completing worker may still be inside Set() when Wait() returns, and an
        // event that never allocated a kernel handle owns nothing the GC cannot reclaim.
#pragma warning disable CA2000
        ManualResetEventSlim? done = flavor.BlockOnNeedsEvent ? new ManualResetEventSlim(false, spinCount: 0) : null;
#pragma warning restore CA2000
        Action notify = done is not null ? done.Set : _core.Driver.Unpark;
        TaskCell<T> root = _core.Spawn<T>(flavor, kind, function, name ?? "block_on", file, line, member, notify);
        flavor.BlockOn(root, done);
        return ((IValueTaskSource<T>)root).GetResult(0);
    }

    /// <summary>Spawns a task (see <see cref="RuntimeHandle.Spawn{T}(Func{Task{T}}, string?, string?, int, string?)"/>).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public JoinHandle<T> Spawn<T>(Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Handle.Spawn(function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Spawns a task (see <see cref="RuntimeHandle.Spawn(Func{Task}, string?, string?, int, string?)"/>).</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public JoinHandle Spawn(Func<Task> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        Handle.Spawn(function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>
    /// Shuts the runtime down: aborts every task, waits up to <paramref name="timeout"/> for them to
    /// unwind, stops the threads. Blocking tasks already running are not waited for past the timeout.
    /// </summary>
    /// <param name="timeout">How long to wait for tasks to unwind: not negative, at most int.MaxValue milliseconds.</param>
    /// <returns>The tasks that had not finished when the timeout passed (also reported on stderr).</returns>
    /// <exception cref="InvalidOperationException">Called from inside this runtime.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative or longer than int.MaxValue milliseconds.</exception>
    public IReadOnlyList<TaskInfo> Shutdown(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        ThrowHelper.ThrowIfLongerThanMaxWait(timeout);
        if (RuntimeCore.Current == _core)
        {
            throw new InvalidOperationException("A runtime cannot be shut down from one of its own tasks or threads: shutdown waits for those tasks. Signal the thread that owns the runtime instead.");
        }

        _dumpTrigger?.Dispose();
        return _core.Shutdown(timeout);
    }

    /// <summary>Shuts down with the builder's shutdown timeout (default 10 s).</summary>
    public void Dispose() => Shutdown(_core.Options.ShutdownTimeout);
}
