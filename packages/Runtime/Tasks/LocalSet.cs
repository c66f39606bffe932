using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// A set of tasks that all run on one thread: the thread that calls <see cref="RunUntil{T}(Func{Task{T}})"/>
/// (tokio's <c>LocalSet</c>). Use it for code that must stay on one thread (thread-affine handles,
/// non-thread-safe state) while the rest of the application runs on the runtime's workers.
/// </summary>
/// <remarks>
/// <para>
/// Local tasks share the runtime's clock, timers, registry and metrics; only where they are polled
/// differs. The driving thread polls queued local tasks, fires due timers, and sleeps until the next
/// timer or a wake-up from another thread.
/// </para>
/// <para><b>Thread safety:</b> <see cref="SpawnLocal{T}(Func{Task{T}}, string?, string?, int, string?)"/> may be
/// called from any thread; the tasks run only on the driving thread. One driver at a time.</para>
/// <para>The paused clock does not auto-advance while a LocalSet waits; advance it explicitly.</para>
/// </remarks>
/// <example>
/// <code>
/// using var local = new LocalSet(runtime.Handle);
/// int n = local.RunUntil(async () =&gt; await SpindleTask.SpawnLocal(async () =&gt; { await Time.SleepAsync(TimeSpan.FromMilliseconds(1)); return 7; }));
/// </code>
/// </example>
public sealed class LocalSet : IDisposable
{
    [ThreadStatic]
    private static LocalSet? t_current;

    private readonly LocalScheduler _scheduler;
    private bool _disposed;

    /// <summary>Creates a local set on the current runtime.</summary>
    /// <exception cref="InvalidOperationException">Called outside a runtime.</exception>
    public LocalSet()
        : this(RuntimeHandle.Current)
    {
    }

    /// <summary>Creates a local set on the given runtime.</summary>
    /// <param name="runtime">The runtime whose clock, timers and registry the tasks use.</param>
    public LocalSet(RuntimeHandle runtime) => _scheduler = new LocalScheduler(runtime.Core);

    internal static LocalSet RequireCurrent()
    {
        LocalSet? current = t_current;
        if (current is null)
        {
            throw new InvalidOperationException("SpawnLocal must be called on a thread that is running a LocalSet (inside LocalSet.RunUntil). Create a LocalSet and call RunUntil, or use Spawn.");
        }

        return current;
    }

    /// <summary>Gets the number of local tasks that have not finished.</summary>
    public int Count => _scheduler.LiveCount;

    /// <summary>Spawns a task that will only ever run on this set's driving thread.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public JoinHandle<T> SpawnLocal<T>(Func<Task<T>> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new(_scheduler.Spawn<T>(RootKind.TaskOfT, function, name, callerFilePath, callerLineNumber, callerMemberName));
    }

    /// <summary>Spawns a task that will only ever run on this set's driving thread.</summary>
    /// <param name="function">The task's code.</param>
    /// <param name="name">An optional name.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The handle.</returns>
    public JoinHandle SpawnLocal(Func<Task> function, string? name = null,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new(_scheduler.Spawn<VoidResult>(RootKind.Task, function, name, callerFilePath, callerLineNumber, callerMemberName));
    }

    /// <summary>
    /// Runs <paramref name="function"/> as a local task and drives all local tasks on the calling
    /// thread until it completes. Other local tasks keep their state and run again at the next call.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">The root of the work.</param>
    /// <returns>Its result.</returns>
    /// <exception cref="InvalidOperationException">Called on a runtime worker, inside a task, or while another thread drives this set.</exception>
    public T RunUntil<T>(Func<Task<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        TaskCell<T> root = Enter(f => _scheduler.Spawn<T>(RootKind.TaskOfT, f, "local-root", null, 0, null), function);
        return ((System.Threading.Tasks.Sources.IValueTaskSource<T>)root).GetResult(0);
    }

    /// <summary>Runs <paramref name="function"/> and drives the local tasks until it completes.</summary>
    /// <param name="function">The root of the work.</param>
    /// <exception cref="InvalidOperationException">Called on a runtime worker, inside a task, or while another thread drives this set.</exception>
    public void RunUntil(Func<Task> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        TaskCell<VoidResult> root = Enter(f => _scheduler.Spawn<VoidResult>(RootKind.Task, f, "local-root", null, 0, null), function);
        ((System.Threading.Tasks.Sources.IValueTaskSource)root).GetResult(0);
    }

    private TaskCell<T> Enter<T, TFunc>(Func<TFunc, TaskCell<T>> spawn, TFunc function)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TaskCore.Current is not null || RuntimeCore.ThreadRuntime is not null || t_current is not null)
        {
            ThrowHelper.ThrowBlockOnReentrant();
        }

        t_current = this;
        try
        {
            TaskCell<T> root = spawn(function);
            root.MarkObserved();
            _scheduler.DriveUntil(root);
            return root;
        }
        finally
        {
            t_current = null;
        }
    }

    /// <summary>
    /// Aborts the local tasks and waits until they unwind (bounded by the runtime's shutdown timeout). They
    /// unwind on the driving thread: if a thread is inside <see cref="RunUntil{T}(Func{Task{T}})"/> (whose
    /// root is aborted too), that thread runs them and this call waits; if none is, the calling thread
    /// drives them, as tokio's LocalSet does when dropped. Called from a local task, it aborts and returns:
    /// the driving loop around it unwinds the tasks.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        // Read without a lock by SpawnLocal and RunUntil; a racing spawn is aborted by AbortAll or refused.
        Volatile.Write(ref _disposed, true);
        _scheduler.AbortAll();
    }

    private sealed class LocalScheduler : Scheduler
    {
        private readonly object _gate = new();
        private readonly Queue<TaskCore> _queue = new();
        private readonly HashSet<TaskCore> _live = new();
        private Thread? _driver;
        // Dispose calls waiting for the tasks to unwind; the driving loop wakes them as tasks finish.
        private int _disposers;
        // Set by AbortAll: until when (UTC ticks) a driver keeps running the aborted tasks after its root is done.
        private long _unwindUntilTicks;

        public LocalScheduler(RuntimeCore runtime)
            : base(runtime)
        {
        }

        public int LiveCount
        {
            get
            {
                lock (_gate)
                {
                    _live.RemoveWhere(t => t.IsCompleted);
                    return _live.Count;
                }
            }
        }

        public TaskCell<T> Spawn<T>(RootKind kind, object function, string? name, string? file, int line, string? member)
        {
            TaskCell<T> cell = Runtime.Spawn<T>(this, kind, function, name, file, line, member);
            lock (_gate)
            {
                _live.Add(cell);
            }

            return cell;
        }

        public override void Schedule(TaskCore task, ScheduleHint hint)
        {
            lock (_gate)
            {
                _queue.Enqueue(task);
                // All: a Dispose on another thread may wait on the same monitor, and a single pulse could go to it.
                Monitor.PulseAll(_gate);
            }
        }

        public void DriveUntil(TaskCore root)
        {
            lock (_gate)
            {
                if (_driver is not null)
                {
                    throw new InvalidOperationException("This LocalSet is already being driven by another thread; a LocalSet has one driving thread at a time.");
                }

                _driver = Thread.CurrentThread;
            }

            try
            {
                // After a Dispose, keep driving past the root until the aborted tasks have unwound here (bounded).
                Drive(() => root.IsCompleted && !IsUnwinding(), Timeout.InfiniteTimeSpan);
            }
            finally
            {
                lock (_gate)
                {
                    _driver = null;
                    // A Dispose on another thread waiting for the tasks to unwind takes over the driving.
                    Monitor.PulseAll(_gate);
                }
            }
        }

        private void Drive(Func<bool> done, TimeSpan limit)
        {
            DateTime until = limit == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + limit;
            while (!done() && DateTime.UtcNow < until)
            {
                Runtime.Time.ProcessExpired();
                TaskCore? task;
                lock (_gate)
                {
                    if (!_queue.TryDequeue(out task))
                    {
                        long? next = Runtime.Time.NextDeadlineTicks();
                        int waitMs = next is long deadline && !Runtime.Clock.IsPaused
                            ? (int)Math.Clamp((deadline - Runtime.Clock.NowTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond, 0, 1000)
                            : 1000;
                        // Bounded so completions that arrive without a wake (a root finishing off the runtime) are noticed.
                        Monitor.Wait(_gate, waitMs);
                        continue;
                    }
                }

                PollResult result = task.Poll();
                if (result is PollResult.Notified or PollResult.Yield)
                {
                    Schedule(task, ScheduleHint.Yield);
                }
                else if (result == PollResult.Complete && Volatile.Read(ref _disposers) > 0)
                {
                    lock (_gate)
                    {
                        // A Dispose on another thread waits for the tasks to finish.
                        Monitor.PulseAll(_gate);
                    }
                }
            }
        }

        /// <summary>Whether aborted tasks are still unwinding, within the runtime's shutdown timeout from the abort.</summary>
        private bool IsUnwinding() =>
            Volatile.Read(ref _unwindUntilTicks) is long until and not 0 && DateTime.UtcNow.Ticks < until && LiveCount > 0;

        public void AbortAll()
        {
            List<TaskCore> live;
            DateTime until = DateTime.UtcNow + Runtime.Options.ShutdownTimeout;
            lock (_gate)
            {
                live = new List<TaskCore>(_live);
                Volatile.Write(ref _unwindUntilTicks, until.Ticks);
            }

            foreach (TaskCore task in live)
            {
                task.Abort();
            }

            Thread current = Thread.CurrentThread;
            bool AllDone() => live.TrueForAll(t => t.IsCompleted);
            Interlocked.Increment(ref _disposers);
            try
            {
                while (!AllDone())
                {
                    lock (_gate)
                    {
                        if (ReferenceEquals(_driver, current))
                        {
                            // Disposed from a local task: the driving loop this call returns to unwinds them.
                            return;
                        }

                        if (_driver is not null)
                        {
                            // Another thread drives: the tasks are its to run; wait for them (or for it to leave).
                            TimeSpan left = until - DateTime.UtcNow;
                            if (left <= TimeSpan.Zero)
                            {
                                return;
                            }

                            Monitor.Wait(_gate, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
                            continue;
                        }

                        _driver = current;
                    }

                    try
                    {
                        // Nobody drives: this thread runs the unwinding.
                        Drive(AllDone, until - DateTime.UtcNow is { } rest && rest > TimeSpan.Zero ? rest : TimeSpan.Zero);
                    }
                    finally
                    {
                        lock (_gate)
                        {
                            _driver = null;
                            Monitor.PulseAll(_gate);
                        }
                    }

                    return;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _disposers);
            }
        }
    }
}
