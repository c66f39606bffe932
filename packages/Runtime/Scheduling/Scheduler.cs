namespace Spindle.Scheduling;

/// <summary>Something that polls tasks: a runtime flavour, a <see cref="LocalSet"/>, or the blocking pool.</summary>
internal abstract class Scheduler
{
    protected Scheduler(RuntimeCore runtime) => Runtime = runtime;

    public RuntimeCore Runtime { get; }

    /// <summary>Queues a task that moved to Scheduled. Called from any thread.</summary>
    public abstract void Schedule(TaskCore task, ScheduleHint hint);
}
