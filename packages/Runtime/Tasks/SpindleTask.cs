using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// Task operations on the current runtime (tokio's <c>tokio::spawn</c> and <c>tokio::task</c>):
/// spawn, spawn blocking work, yield, and facts about the running task.
/// </summary>
/// <remarks>
/// <para>
/// A spawned task is ordinary C# async code. While it runs, <see cref="SynchronizationContext.Current"/>
/// is the task itself, so every <c>await</c> resumes on the runtime, inside the same task. An await
/// with <c>ConfigureAwait(false)</c> leaves the runtime: the rest of that method runs on the .NET
/// thread pool, outside any task (no abort at Spindle awaits, no budget) until it returns to a
/// caller that awaited normally. Code started with <see cref="Task.Run(Func{Task})"/> inside a task
/// likewise runs on the thread pool as in plain .NET.
/// </para>
/// <para><b>Thread safety:</b> all members may be called from any thread of the runtime.</para>
/// </remarks>
public static class SpindleTask
{
    /// <summary>Gets the id of the running task, or null outside a task.</summary>
    public static long? CurrentId => TaskCore.Current?.Id;

    /// <summary>Gets the name of the running task, or null.</summary>
    public static string? CurrentName => TaskCore.Current?.Name;

    /// <summary>
    /// Gets the running task's cancellation token, cancelled when the task is aborted, for awaits that
    /// are not Spindle leaves (<see cref="Task.Delay(TimeSpan, CancellationToken)"/>, sockets, HTTP).
    /// <see cref="CancellationToken.None"/> outside a task.
    /// </summary>
    public static CancellationToken CancellationToken => TaskCore.Current?.CancellationToken ?? CancellationToken.None;

    /// <summary>Gets whether the running task has been asked to abort.</summary>
    public static bool IsAbortRequested => TaskCore.Current?.IsAbortRequested ?? false;

    /// <summary>Spawns a task that returns a value on the current runtime.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name for listings and dumps.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle to await or abort the task.</returns>
    /// <exception cref="InvalidOperationException">Called outside a runtime, or the runtime was shut down.</exception>
    /// <example><code>JoinHandle&lt;int&gt; h = SpindleTask.Spawn(async () => { await Time.SleepAsync(TimeSpan.FromMilliseconds(1)); return 1; });</code></example>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public static JoinHandle<T> Spawn<T>(Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(RuntimeCore.SpawnOnCurrent<T>(false, RootKind.TaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Spawns a task on the current runtime.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public static JoinHandle Spawn(Func<Task> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(RuntimeCore.SpawnOnCurrent<VoidResult>(false, RootKind.Task, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Spawns a <see cref="ValueTask{TResult}"/> task on the current runtime.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public static JoinHandle<T> Spawn<T>(Func<ValueTask<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(RuntimeCore.SpawnOnCurrent<T>(false, RootKind.ValueTaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Spawns a <see cref="ValueTask"/> task on the current runtime.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public static JoinHandle Spawn(Func<ValueTask> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(RuntimeCore.SpawnOnCurrent<VoidResult>(false, RootKind.ValueTask, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Runs blocking code on the current runtime's blocking pool.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The blocking code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public static JoinHandle<T> SpawnBlocking<T>(Func<T> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(RuntimeCore.SpawnOnCurrent<T>(true, RootKind.BlockingFunc, function, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Runs blocking code on the current runtime's blocking pool.</summary>
    /// <param name="action">The blocking code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public static JoinHandle SpawnBlocking(Action action, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        new(RuntimeCore.SpawnOnCurrent<VoidResult>(true, RootKind.BlockingAction, action, name, callerFilePath, callerLineNumber, callerMemberName));

    /// <summary>Spawns a task onto the <see cref="LocalSet"/> that is running on this thread; it never leaves this thread.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="InvalidOperationException">No LocalSet is running on this thread.</exception>
    public static JoinHandle<T> SpawnLocal<T>(Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        LocalSet.RequireCurrent().SpawnLocal(function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Spawns a task onto the <see cref="LocalSet"/> that is running on this thread.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="InvalidOperationException">No LocalSet is running on this thread.</exception>
    public static JoinHandle SpawnLocal(Func<Task> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        LocalSet.RequireCurrent().SpawnLocal(function, name, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Yields: the task goes to the back of the run queue so others run first.</summary>
    /// <returns>An allocation-free awaitable.</returns>
    /// <remarks>
    /// <para>On a multi-thread runtime, a task that yields with nothing else queued on its worker is
    /// polled again only after that worker has looked for work elsewhere (tasks spawned from outside,
    /// other workers' queues), or at its next maintenance tick at the latest, as tokio's
    /// <c>yield_now</c>; so a task yielding in a loop does not keep its worker from helping the others.</para>
    /// <para><b>Cancellation:</b> throws <see cref="OperationCanceledException"/> if the task was aborted.</para>
    /// </remarks>
    /// <example><code>for (int i = 0; i &lt; n; i++) { Work(i); await SpindleTask.YieldAsync(); }</code></example>
    public static YieldAwaitable YieldAsync() => default;
}
