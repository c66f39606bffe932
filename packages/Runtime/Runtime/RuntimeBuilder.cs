using System;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// Configures and builds a <see cref="Runtime"/> (tokio's <c>runtime::Builder</c>).
/// </summary>
/// <remarks>
/// Defaults: the multi-thread flavour with one worker per processor, time and I/O enabled, event
/// interval 61, global queue interval 31, up to 512 blocking threads kept 10 s, shutdown timeout 10 s,
/// unobserved task exceptions written to stderr.
/// </remarks>
/// <example>
/// <code>
/// using Runtime rt = RuntimeBuilder.CreateMultiThread().WorkerThreads(2).ThreadNamePrefix("app").Build();
/// int n = rt.BlockOn(async () =&gt; await SpindleTask.Spawn(async () =&gt; 42));
/// </code>
/// </example>
public sealed class RuntimeBuilder
{
    internal static readonly TimeSpan DefaultSpinBeforePark = TimeSpan.FromMicroseconds(50);
    internal static readonly TimeSpan MaxSpinBeforePark = TimeSpan.FromMilliseconds(100);

    private readonly RuntimeOptions _options = new();

    private RuntimeBuilder(RuntimeFlavor flavor)
    {
        _options.Flavor = flavor;
        _options.WorkerThreads = Environment.ProcessorCount;
    }

    /// <summary>Starts a builder for a runtime that runs every task on the thread calling BlockOn.</summary>
    /// <returns>The builder.</returns>
    public static RuntimeBuilder CreateCurrentThread() => new(RuntimeFlavor.CurrentThread);

    /// <summary>Starts a builder for a work-stealing runtime with dedicated worker threads.</summary>
    /// <returns>The builder.</returns>
    public static RuntimeBuilder CreateMultiThread() => new(RuntimeFlavor.MultiThread);

    /// <summary>Sets the number of worker threads (multi-thread flavour). Default: <see cref="Environment.ProcessorCount"/>.</summary>
    /// <param name="count">At least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1 or more than 32767.</exception>
    public RuntimeBuilder WorkerThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, short.MaxValue);
        _options.WorkerThreads = count;
        return this;
    }

    /// <summary>Sets the prefix of worker and blocking thread names. Default: <c>spindle-worker</c>.</summary>
    /// <param name="prefix">A non-empty prefix.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder ThreadNamePrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        _options.ThreadNamePrefix = prefix;
        return this;
    }

    /// <summary>Sets the stack size of worker threads in bytes (0: the platform default).</summary>
    /// <param name="bytes">Stack size, 0 or at least 64 KiB.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder ThreadStackSize(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes is > 0 and < 64 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "A worker stack must be 0 (platform default) or at least 64 KiB.");
        }

        _options.ThreadStackSize = bytes;
        return this;
    }

    /// <summary>Sets after how many ticks a worker polls timers (and I/O) even when it has work. Default 61, as tokio.</summary>
    /// <param name="ticks">At least 1.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder EventInterval(int ticks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ticks, 1);
        _options.EventInterval = ticks;
        return this;
    }

    /// <summary>Sets after how many ticks a worker takes from the global queue before its own. Default 31, as tokio.</summary>
    /// <param name="ticks">At least 1.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder GlobalQueueInterval(int ticks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ticks, 1);
        _options.GlobalQueueInterval = ticks;
        return this;
    }

    /// <summary>Sets the most threads the blocking pool starts. Default 512.</summary>
    /// <param name="count">At least 1.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder MaxBlockingThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _options.MaxBlockingThreads = count;
        return this;
    }

    /// <summary>Sets how long an idle blocking thread waits for work before it exits. Default 10 s.</summary>
    /// <param name="keepAlive">Positive, at most int.MaxValue milliseconds (about 24.8 days).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepAlive"/> is not positive or is longer than int.MaxValue milliseconds.</exception>
    public RuntimeBuilder BlockingKeepAlive(TimeSpan keepAlive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(keepAlive, TimeSpan.Zero);
        ThrowHelper.ThrowIfLongerThanMaxWait(keepAlive);
        _options.BlockingKeepAlive = keepAlive;
        return this;
    }

    /// <summary>Enables or disables the time driver (sleeps, intervals, timeouts). Default: enabled.</summary>
    /// <param name="enabled">Whether time is available.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder EnableTime(bool enabled = true)
    {
        _options.EnableTime = enabled;
        return this;
    }

    /// <summary>Enables or disables the I/O driver. Default: enabled.</summary>
    /// <param name="enabled">Whether I/O is available.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder EnableIo(bool enabled = true)
    {
        _options.EnableIo = enabled;
        return this;
    }

    /// <summary>
    /// Chooses the I/O driver's readiness backend. Default: <see cref="IO.IoBackend.Auto"/> (epoll on
    /// Linux, the portable backend elsewhere). Forcing <see cref="IO.IoBackend.Portable"/> on Linux runs
    /// the code other operating systems use, e.g. to test it.
    /// </summary>
    /// <param name="backend">The backend.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backend"/> is not a defined value.</exception>
    public RuntimeBuilder IoBackend(IO.IoBackend backend)
    {
        if (!Enum.IsDefined(backend))
        {
            throw new ArgumentOutOfRangeException(nameof(backend), backend, "Pass IoBackend.Auto, IoBackend.Epoll or IoBackend.Portable.");
        }

        _options.IoBackend = backend;
        return this;
    }

    /// <summary>Enables time and I/O.</summary>
    /// <returns>This builder.</returns>
    public RuntimeBuilder EnableAll() => EnableTime().EnableIo();

    /// <summary>Starts the runtime with its clock paused, for tests: time moves only when advanced, or
    /// automatically to the next timer when the runtime is idle.</summary>
    /// <param name="paused">Whether to start paused.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder StartPaused(bool paused = true)
    {
        _options.StartPaused = paused;
        return this;
    }

    /// <summary>
    /// Sets how long a thread that ran out of work spins for a wake-up before it sleeps in the
    /// kernel: a multi-thread worker, a thread waiting in <c>BlockOn</c> for a multi-thread runtime,
    /// and the thread driving a current-thread runtime. Default 50 µs; <see cref="TimeSpan.Zero"/>
    /// turns spinning off. Nobody spins while the clock is paused (being idle is what moves it on).
    /// </summary>
    /// <remarks>
    /// Waking a sleeping thread costs the waker a system call and the sleeper tens of microseconds
    /// before it runs again (more on a virtual machine, where the idle core itself sleeps). Work that
    /// arrives within the spin is picked up at once instead; <see cref="Diagnostics.RuntimeMetrics.GetWorkerSpinWakeCount"/>
    /// counts those. The price is CPU time: each idle thread burns up to this long per idle period
    /// (the spin yields to other runnable threads). Turn it off when idle CPU matters more than
    /// latency, e.g. many runtimes in one process.
    /// A thread in a multi-thread runtime's <c>BlockOn</c> spins longer when the previous
    /// <c>BlockOn</c> was short: up to 1.5 × its duration, if that was under 1 ms, so a loop of
    /// short <c>BlockOn</c> calls does not pay a wake-up each.
    /// </remarks>
    /// <param name="duration">From zero to 100 ms.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder SpinBeforePark(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, MaxSpinBeforePark);
        _options.SpinBeforePark = duration;
        return this;
    }

    /// <summary>Sets how long <see cref="Runtime.Dispose"/> waits for aborted tasks to unwind. Default 10 s.</summary>
    /// <param name="timeout">Not negative, at most int.MaxValue milliseconds (about 24.8 days).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative or longer than int.MaxValue milliseconds.</exception>
    public RuntimeBuilder ShutdownTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        ThrowHelper.ThrowIfLongerThanMaxWait(timeout);
        _options.ShutdownTimeout = timeout;
        return this;
    }

    /// <summary>
    /// Writes a task dump (<see cref="Diagnostics.TaskDump"/>) of this runtime each time the process
    /// receives SIGQUIT (Ctrl+\ in a terminal; Ctrl+Break on Windows), like a Go or Java thread dump,
    /// without stopping the program. Off by default.
    /// </summary>
    /// <param name="writer">Where to write; null: standard error. Written under a lock, one dump at a time.</param>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// <para>While the runtime lives SIGQUIT's default action (terminate with a core dump) is
    /// suppressed; disposing the runtime restores it. Several runtimes may each register: each
    /// writes its own dump.</para>
    /// </remarks>
    public RuntimeBuilder DumpTasksOnSigquit(System.IO.TextWriter? writer = null)
    {
        _options.DumpTasksOnSigquit = true;
        _options.TaskDumpWriter = writer;
        return this;
    }

    /// <summary>Records a histogram of poll durations per worker (100 µs buckets). Costs two clock reads per poll.</summary>
    /// <returns>This builder.</returns>
    public RuntimeBuilder EnablePollTimeHistogram()
    {
        _options.EnablePollTimeHistogram = true;
        return this;
    }

    /// <summary>Sets the handler for exceptions of tasks nobody awaited (default: written to stderr).</summary>
    /// <param name="handler">Called on the thread where the task failed; must not block.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnUnobservedTaskException(Action<UnobservedTaskExceptionInfo> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _options.UnobservedTaskException = handler;
        return this;
    }

    /// <summary>Called when a task is spawned, on the spawning thread.</summary>
    /// <param name="hook">The hook; must be fast. An exception it throws goes to <see cref="OnUnobservedTaskException"/> (as from every hook) and the spawn goes on.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnTaskSpawn(Action<TaskMeta> hook) => Set(hook, static (h, f) => h.TaskSpawn = f);

    /// <summary>Called on the worker just before each poll of a task.</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnBeforeTaskPoll(Action<TaskMeta> hook) => Set(hook, static (h, f) => h.BeforePoll = f);

    /// <summary>Called on the worker just after each poll of a task.</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnAfterTaskPoll(Action<TaskMeta> hook) => Set(hook, static (h, f) => h.AfterPoll = f);

    /// <summary>Called when a task finishes (returned, threw or was aborted).</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnTaskTerminate(Action<TaskMeta> hook) => Set(hook, static (h, f) => h.TaskTerminate = f);

    /// <summary>Called on each runtime thread (worker or blocking) when it starts.</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnThreadStart(Action hook) => Set(hook, static (h, f) => h.ThreadStart = f);

    /// <summary>Called on each runtime thread before it exits.</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnThreadStop(Action hook) => Set(hook, static (h, f) => h.ThreadStop = f);

    /// <summary>Called when a worker is about to park (no work).</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnThreadPark(Action hook) => Set(hook, static (h, f) => h.ThreadPark = f);

    /// <summary>Called when a worker wakes from parking.</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public RuntimeBuilder OnThreadUnpark(Action hook) => Set(hook, static (h, f) => h.ThreadUnpark = f);

    private RuntimeBuilder Set<THook>(THook hook, Action<RuntimeHooks, THook> assign)
        where THook : Delegate
    {
        ArgumentNullException.ThrowIfNull(hook);
        assign(_options.Hooks, hook);
        return this;
    }

    /// <summary>Builds and starts the runtime (worker threads start now).</summary>
    /// <returns>The runtime; dispose it to shut it down.</returns>
    public Runtime Build()
    {
        var core = new RuntimeCore(_options.Clone());
        core.Start();
        return new Runtime(core, core.Options.DumpTasksOnSigquit ? new Diagnostics.TaskDumpTrigger(core, core.Options.TaskDumpWriter) : null);
    }
}
