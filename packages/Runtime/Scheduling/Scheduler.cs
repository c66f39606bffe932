namespace Spindle.Scheduling;

/// <summary>Something that polls tasks: a runtime flavour, a <see cref="LocalSet"/>, or the blocking pool.</summary>
internal abstract class Scheduler
{
    protected Scheduler(RuntimeCore runtime) => Runtime = runtime;

    public RuntimeCore Runtime { get; }

    /// <summary>Queues a task that moved to Scheduled. Called from any thread.</summary>
    public abstract void Schedule(TaskCore task, ScheduleHint hint);

    /// <summary>
    /// Queues a task just spawned on the calling thread, whose <see cref="ThreadData"/> the spawn has
    /// already read (<paramref name="thread"/>, null if the thread has none): a flavour that needs to
    /// know whether it runs on one of its own threads need not read the thread-static again.
    /// </summary>
    public virtual void ScheduleSpawned(TaskCore task, ThreadData? thread) => Schedule(task, ScheduleHint.Normal);
}
