using System;
using System.Threading;

namespace Spindle.Scheduling;

/// <summary>A runtime flavour: the scheduler plus the threads (or the BlockOn caller) that drive it.</summary>
internal abstract class RuntimeScheduler : Scheduler
{
    protected RuntimeScheduler(RuntimeCore runtime)
        : base(runtime)
    {
    }

    public abstract int WorkerCount { get; }

    /// <summary>Starts worker threads, if the flavour has any.</summary>
    public abstract void Start();

    /// <summary>Runs <paramref name="root"/> to completion, blocking the calling thread.</summary>
    /// <param name="root">The task spawned for the BlockOn delegate.</param>
    /// <param name="done">Set when the root completes, for flavours where the caller only waits.</param>
    public abstract void BlockOn(TaskCore root, ManualResetEventSlim? done);

    /// <summary>Whether BlockOn needs a completion event (the caller does not drive tasks itself).</summary>
    public abstract bool BlockOnNeedsEvent { get; }

    /// <summary>Keeps tasks running until <paramref name="done"/> or the timeout.</summary>
    public abstract void DrainForShutdown(Func<bool> done, TimeSpan timeout);

    /// <summary>Stops worker threads; after this, scheduled tasks are polled on the thread pool.</summary>
    public abstract void Stop(TimeSpan timeout);

    public abstract int GlobalQueueDepth { get; }

    public abstract int LocalQueueDepth(int worker);
}
