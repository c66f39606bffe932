using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Spindle.Internal;

namespace Spindle.Scheduling.MultiThread;

/// <summary>
/// The multi-thread work-stealing flavour: N dedicated workers, each with a local ring and LIFO slot,
/// one inject queue, idle tracking that bounds searching workers, and one shared driver that the
/// parking worker sleeps on (DESIGN.md §2).
/// </summary>
/// <remarks>
/// Shutdown: <see cref="DrainForShutdown"/> waits (bounded) while the workers unwind the aborted
/// tasks; <see cref="Stop"/> sets <see cref="IsStopping"/>, unparks every worker, joins the threads
/// (bounded), then sends anything still queued to the thread pool so it can finish unwinding.
/// </remarks>
internal sealed class MultiThreadScheduler : RuntimeScheduler
{
    private volatile bool _stopping;
    private volatile bool _stopped;
    private readonly Func<bool> _noQueuedWork;
    private readonly long _spinTicks;

    /// <summary>How long the last <see cref="BlockOn"/> took, in <see cref="Stopwatch"/> ticks (racy: a hint).</summary>
    private long _lastBlockOnTicks;

    public MultiThreadScheduler(RuntimeCore runtime, int workers)
        : base(runtime)
    {
        if (workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workers), workers, "A multi-thread runtime needs at least one worker thread.");
        }

        _noQueuedWork = NoQueuedWork;
        _spinTicks = IdleSpin.ToTicks(runtime.Options.SpinBeforePark);
        Inject = new InjectQueue();
        Idle = new Idle(workers);
        SharedDriver = new SharedDriver(runtime.Driver);
        Workers = new Worker[workers];
        for (int i = 0; i < workers; i++)
        {
            Workers[i] = new Worker(this, i, runtime.Metrics.Workers[i]);
        }
    }

    public InjectQueue Inject { get; }

    public Idle Idle { get; }

    public SharedDriver SharedDriver { get; }

    public Worker[] Workers { get; }

    public bool IsStopping => _stopping;

    public override int WorkerCount => Workers.Length;

    public override bool BlockOnNeedsEvent => true;

    public override int GlobalQueueDepth => Inject.Count;

    /// <summary>Counted by the inject queue's push count, which a remote push pays for anyway.</summary>
    public override long RemoteScheduleCount => Inject.RemotePushes;

    public override int LocalQueueDepth(int worker) => Workers[worker].Queue.Count;

    protected override int PollersToPause() =>
        Workers.Length - (Worker.Current?.Scheduler == this ? 1 : 0);

    protected override void WakePollers()
    {
        foreach (Worker worker in Workers)
        {
            worker.Parker.Unpark();
        }
    }

    public override void Start()
    {
        RuntimeOptions options = Runtime.Options;
        foreach (Worker worker in Workers)
        {
            var thread = new Thread(worker.Run, options.ThreadStackSize)
            {
                IsBackground = true,
                Name = string.Create(CultureInfo.InvariantCulture, $"{options.ThreadNamePrefix}-{worker.Index}"),
            };
            worker.Thread = thread;
            thread.Start();
        }
    }

    /// <summary>Whether the whole runtime is idle, for the paused clock's auto-advance.</summary>
    /// <remarks>
    /// <para>
    /// Queued work counts too: a worker whose driver park just fired timers holds the woken tasks in
    /// its queue while it is still listed as parked. It wrote them before releasing the driver lock,
    /// which the next driver holder acquires, so they are visible here.
    /// </para>
    /// <para>
    /// The check must be one moment, not a sequence of reads: that worker may leave the sleeper list
    /// and take its task between a read of "nobody unparked" and a read of its (now empty) queue, and
    /// time would jump while the woken task runs. So the queues are read while
    /// <see cref="Idle.AllParkedAnd"/> holds the sleeper list, which no worker can leave meanwhile.
    /// Blocking work is read first: a finishing blocking task schedules its waker before it stops
    /// counting as active.
    /// </para>
    /// </remarks>
    public bool IsIdle() => Runtime.Blocking.ActiveCount == 0 && Runtime.Time.AutoAdvanceAllowed && Idle.AllParkedAnd(_noQueuedWork);

    private bool NoQueuedWork()
    {
        if (!Inject.IsEmpty)
        {
            return false;
        }

        foreach (Worker worker in Workers)
        {
            if (worker.HasTasks)
            {
                return false;
            }
        }

        return true;
    }

    public override void Schedule(TaskCore task, ScheduleHint hint) => Schedule(task, hint, Worker.Current);

    public override void ScheduleSpawned(TaskCore task, ThreadData? thread) => Schedule(task, ScheduleHint.Normal, thread?.Worker);

    /// <summary>Schedules from the calling thread, whose worker (null if it is none) the caller has read.</summary>
    private void Schedule(TaskCore task, ScheduleHint hint, Worker? worker)
    {
        if (_stopped)
        {
            ThreadPoolPoller.Poll(task);
            return;
        }

        if (worker is not null && ReferenceEquals(worker.Scheduler, this) && !_stopping)
        {
            worker.ScheduleLocal(task, hint);
            return;
        }

        Inject.Push(task);
        NotifyParked();
        if (_stopped)
        {
            // Stop drained the queues before our push landed: hand anything left to the pool.
            DrainLeftovers();
        }
    }

    public void NotifyParked()
    {
        int index = Idle.WorkerToNotify();
        if (index >= 0)
        {
            Workers[index].Parker.Unpark();
        }
    }

    public void NotifyIfWorkPending()
    {
        foreach (Worker worker in Workers)
        {
            if (worker.Queue.HasTasks)
            {
                NotifyParked();
                return;
            }
        }

        if (!Inject.IsEmpty)
        {
            NotifyParked();
        }
    }

    public override void BlockOn(TaskCore root, ManualResetEventSlim? done)
    {
        // The root runs on the workers; the caller spins a little, then sleeps until the root's
        // completion sets the event (created without a spin of its own).
        ArgumentNullException.ThrowIfNull(done);
        long started = Stopwatch.GetTimestamp();
        if (!Runtime.Clock.IsPaused)
        {
            _ = IdleSpin.Until(done, static e => e.IsSet, BlockOnSpinTicks(_spinTicks, Volatile.Read(ref _lastBlockOnTicks)));
        }

        done.Wait();
        Volatile.Write(ref _lastBlockOnTicks, Stopwatch.GetTimestamp() - started);
    }

    /// <summary>
    /// How long a <see cref="BlockOn"/> caller spins before it sleeps: <paramref name="spinTicks"/>
    /// (<see cref="RuntimeBuilder.SpinBeforePark"/>), stretched to 1.5 × the previous BlockOn's
    /// duration when that was short (under <see cref="MaxAdaptiveBlockOnSpin"/>). Waking a sleeping
    /// caller costs it tens of microseconds, which is most of a short BlockOn (a loop of BlockOn
    /// calls, a command-line tool, a test); a long one spins only the configured time. Turning
    /// spinning off turns this off too.
    /// </summary>
    internal static long BlockOnSpinTicks(long spinTicks, long lastBlockOnTicks)
    {
        if (spinTicks <= 0 || lastBlockOnTicks <= 0 || lastBlockOnTicks > IdleSpin.ToTicks(MaxAdaptiveBlockOnSpin))
        {
            return spinTicks;
        }

        return Math.Max(spinTicks, lastBlockOnTicks + (lastBlockOnTicks / 2));
    }

    /// <summary>The longest previous <see cref="BlockOn"/> that makes the next caller spin for about as long.</summary>
    internal static readonly TimeSpan MaxAdaptiveBlockOnSpin = TimeSpan.FromMilliseconds(1);

    public override void DrainForShutdown(Func<bool> done, TimeSpan timeout)
    {
        if (Worker.Current?.Scheduler == this)
        {
            return;
        }

        SpinWait.SpinUntil(done, timeout);
    }

    public override void Stop(TimeSpan timeout)
    {
        _stopping = true;
        foreach (Worker worker in Workers)
        {
            worker.Parker.Unpark();
        }

        bool joined = true;
        DateTime until = DateTime.UtcNow + timeout;
        foreach (Worker worker in Workers)
        {
            if (worker.Thread is null || ReferenceEquals(worker.Thread, Thread.CurrentThread))
            {
                continue;
            }

            TimeSpan left = until - DateTime.UtcNow;
            joined &= worker.Thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        _stopped = true;
        if (joined)
        {
            var leftovers = new List<TaskCore>();
            foreach (Worker worker in Workers)
            {
                worker.DrainTo(leftovers);
            }

            foreach (TaskCore task in leftovers)
            {
                ThreadPoolPoller.Poll(task);
            }
        }

        DrainLeftovers();
    }

    private void DrainLeftovers()
    {
        var leftovers = new List<TaskCore>();
        Inject.DrainTo(leftovers);
        foreach (TaskCore task in leftovers)
        {
            ThreadPoolPoller.Poll(task);
        }
    }
}
