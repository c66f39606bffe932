using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling.Blocking;
using Spindle.Time;

namespace Spindle.Scheduling;

/// <summary>
/// Everything one runtime owns: its scheduler flavour, clock and timers, blocking pool, task
/// registry, metrics and hooks. <see cref="Runtime"/> and <see cref="RuntimeHandle"/> are views of it.
/// </summary>
/// <remarks>
/// Shutdown protocol (<see cref="Shutdown"/>):
/// <list type="number">
/// <item>Close the registry: every later spawn throws; take the list of live tasks.</item>
/// <item>Abort every live task: leaves throw, tokens fire, unstarted tasks complete as aborted.</item>
/// <item>Keep the scheduler running until the registry is empty or the timeout passes, so
///       <c>finally</c> blocks run on the runtime.</item>
/// <item>Stop the workers and the blocking pool (blocking threads are not waited on past the timeout).</item>
/// <item>Report tasks that did not finish (stuck in foreign awaits). From now on a wake runs the task's
///       continuations on the thread pool, so even they unwind eventually.</item>
/// </list>
/// </remarks>
internal sealed class RuntimeCore
{
    private int _shutdownStarted;
    private TimeProvider? _timeProvider;
    private System.Threading.Tasks.TaskScheduler? _taskScheduler;

    public RuntimeCore(RuntimeOptions options)
    {
        Options = options;
        Hooks = options.Hooks.GuardedBy(this);
        int workers = options.Flavor == RuntimeFlavor.CurrentThread ? 1 : options.WorkerThreads;
        Clock = new RuntimeClock(options.StartPaused);
        Time = new TimeDriver(Clock);
        Driver = new Driver(Time, options.EnableIo ? IO.IoDriver.Create(options.IoBackend) : null);
        Registry = new TaskRegistry(workers);
        Metrics = new RuntimeStats(workers);
        Blocking = new BlockingPool(this, options.MaxBlockingThreads, options.BlockingKeepAlive, options.ThreadNamePrefix + "-blocking");
        Flavor = options.Flavor == RuntimeFlavor.CurrentThread
            ? new CurrentThread.CurrentThreadScheduler(this)
            : new MultiThread.MultiThreadScheduler(this, workers);
    }

    /// <summary>The runtime of the running task, or of the worker / BlockOn thread, or null.</summary>
    public static RuntimeCore? Current
    {
        get => RuntimeOf(ThreadData.IfCreated);
    }

    private static RuntimeCore? RuntimeOf(ThreadData? thread) =>
        thread is null ? null : thread.Task?.Runtime ?? thread.Runtime;

    /// <summary>The runtime whose worker or BlockOn loop runs on this thread (not merely a task's runtime).</summary>
    public static RuntimeCore? ThreadRuntime
    {
        get => ThreadData.IfCreated?.Runtime;
        set => ThreadData.Current.Runtime = value;
    }

    public RuntimeOptions Options { get; }

    public RuntimeHooks Hooks { get; }

    public RuntimeClock Clock { get; }

    public TimeDriver Time { get; }

    public Driver Driver { get; }

    public TaskRegistry Registry { get; }

    public RuntimeStats Metrics { get; }

    public BlockingPool Blocking { get; }

    public RuntimeScheduler Flavor { get; }

    public TimeProvider TimeProvider => _timeProvider ??= new RuntimeTimeProvider(this);

    public System.Threading.Tasks.TaskScheduler TaskScheduler => _taskScheduler ??= new RuntimeTaskScheduler(this);

    public bool IsShutdown => Volatile.Read(ref _shutdownStarted) != 0;

    public void Start() => Flavor.Start();

    /// <summary>Creates, registers and schedules a task.</summary>
    public TaskCell<T> Spawn<T>(Scheduler scheduler, RootKind kind, object func, string? name, string? file, int line, string? member, Action? onComplete = null, IJoinSetMember? joinSet = null) =>
        // One thread-static read for the registry table and the scheduler's local-or-remote choice.
        Spawn<T>(ThreadData.IfCreated, scheduler, kind, func, name, file, line, member, onComplete, joinSet);

    /// <summary>
    /// Spawns on the runtime of the calling task or thread (<c>SpindleTask.Spawn</c>): one
    /// thread-static read finds the runtime and serves the registry table and the scheduler's
    /// local-or-remote choice too (each read is a call into the TLS resolver on Linux).
    /// </summary>
    public static TaskCell<T> SpawnOnCurrent<T>(bool blocking, RootKind kind, object func, string? name, string? file, int line, string? member)
    {
        ThreadData? thread = ThreadData.IfCreated;
        RuntimeCore? runtime = RuntimeOf(thread);
        if (runtime is null)
        {
            ThrowHelper.ThrowNoRuntime(blocking ? "SpindleTask.SpawnBlocking" : "SpindleTask.Spawn");
        }

        return runtime.Spawn<T>(thread, blocking ? runtime.Blocking : runtime.Flavor, kind, func, name, file, line, member, null, null);
    }

    private TaskCell<T> Spawn<T>(ThreadData? thread, Scheduler scheduler, RootKind kind, object func, string? name, string? file, int line, string? member, Action? onComplete, IJoinSetMember? joinSet)
    {
        ArgumentNullException.ThrowIfNull(func);
        var cell = new TaskCell<T>(TaskCore.NextId(thread), scheduler, kind, func, name, file, line, member, joinSet);
        if (onComplete is not null)
        {
            cell.SetCompletionNotify(onComplete);
        }

        // Scheduled before anyone can see the task: an abort that finds it in the registry (shutdown,
        // JoinSet.AbortAll, a spawn hook) then leaves the queueing to this spawn instead of queueing it
        // a second time, and its AbortRequested bit is not overwritten.
        cell.MarkScheduledAtSpawn();
        if (!Registry.TryAdd(cell, RegistryOwnerOf(thread)))
        {
            ThrowHelper.ThrowShutDown();
        }

        Hooks.TaskSpawn?.Invoke(new TaskMeta(cell));
        joinSet?.OnMemberAdded(cell);
        scheduler.ScheduleSpawned(cell, thread);
        return cell;
    }

    /// <summary>The registry table <paramref name="thread"/> owns (fills and counts in without a lock): its worker's, or the current-thread driver's; else -1.</summary>
    private int RegistryOwnerOf(ThreadData? thread)
    {
        if (thread is null)
        {
            return -1;
        }

        if (thread.Worker is { } worker)
        {
            return ReferenceEquals(worker.Scheduler.Runtime, this) ? worker.Index : -1;
        }

        return thread.Driving is { } driver && ReferenceEquals(driver.Runtime, this) ? 0 : -1;
    }

    public void OnTaskTerminated(TaskCore task, ThreadData? pollThread)
    {
        // Completing inside its own poll, the task passes the polling thread's data: no thread-static read.
        Registry.Remove(task, RegistryOwnerOf(pollThread ?? ThreadData.IfCreated));
        Hooks.TaskTerminate?.Invoke(new TaskMeta(task));
    }

    /// <summary>A continuation or callback threw outside any task's result: report, never crash a worker.</summary>
    public void ReportUnhandled(TaskCore? task, Exception error) => Report(task, error);

    /// <summary>A task faulted while nobody awaited it.</summary>
    public void ReportUnobserved(TaskCore task, Exception error) => Report(task, error);

    private void Report(TaskCore? task, Exception error)
    {
        var info = new UnobservedTaskExceptionInfo(task?.Id ?? 0, task?.Name, task?.SpawnFilePath, task?.SpawnLineNumber ?? 0, error);
        Action<UnobservedTaskExceptionInfo>? handler = Options.UnobservedTaskException;
        if (handler is not null)
        {
            try
            {
                handler(info);
                return;
            }
#pragma warning disable CA1031 // A failing handler falls back to stderr rather than crashing a worker.
            catch (Exception handlerError)
#pragma warning restore CA1031
            {
                error = new AggregateException(error, handlerError);
            }
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"spindle: task #{info.TaskId}{(info.TaskName is null ? "" : $" \"{info.TaskName}\"")} (spawned at {info.SpawnFilePath}:{info.SpawnLineNumber}) threw and nobody awaited it:{Environment.NewLine}{error}"));
    }

    /// <summary>Shuts the runtime down (see the protocol above). Returns the tasks that did not finish in time.</summary>
    public IReadOnlyList<TaskInfo> Shutdown(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _shutdownStarted, 1) != 0)
        {
            return Array.Empty<TaskInfo>();
        }

        var deadline = Stopwatch.StartNew();
        List<TaskCore> live = Registry.Close();
        foreach (TaskCore task in live)
        {
            task.Abort();
        }

        Flavor.DrainForShutdown(() => Registry.Count == 0, timeout);
        TimeSpan left = timeout - deadline.Elapsed;
        Flavor.Stop(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        Blocking.Shutdown();

        // Whatever still waits for readiness (code outside tasks, tasks stuck elsewhere) wakes with the shutdown error.
        if (Driver.Io is IO.IoDriver io)
        {
            io.Shutdown();
            io.Dispose();
        }

        List<TaskCore> stuck = Registry.Snapshot();
        var report = new List<TaskInfo>(stuck.Count);
        foreach (TaskCore task in stuck)
        {
            report.Add(RuntimeHandle.Describe(task));
        }

        if (report.Count > 0)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"spindle: shutdown left {report.Count} task(s) unfinished after {timeout.TotalMilliseconds:F0} ms (stuck in awaits the runtime cannot cancel):"));
            foreach (TaskInfo info in report)
            {
                Console.Error.WriteLine("  " + info);
            }
        }

        return report;
    }
}
