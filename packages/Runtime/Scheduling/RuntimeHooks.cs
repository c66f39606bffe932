using System;

namespace Spindle.Scheduling;

/// <summary>The callbacks set on <see cref="RuntimeBuilder"/>; each costs one null check when unset.</summary>
internal sealed class RuntimeHooks
{
    public Action<TaskMeta>? TaskSpawn { get; set; }

    public Action<TaskMeta>? BeforePoll { get; set; }

    public Action<TaskMeta>? AfterPoll { get; set; }

    public Action<TaskMeta>? TaskTerminate { get; set; }

    public Action? ThreadStart { get; set; }

    public Action? ThreadStop { get; set; }

    public Action? ThreadPark { get; set; }

    public Action? ThreadUnpark { get; set; }

    public RuntimeHooks Clone() => (RuntimeHooks)MemberwiseClone();

    /// <summary>
    /// A copy whose hooks hand an exception to <paramref name="runtime"/>'s unobserved-exception
    /// handler instead of letting it escape into the scheduler: a task hook runs in the middle of a
    /// spawn, a poll or a completion, where an exception would leave the task half spawned, its poll
    /// half restored or its joiner never woken, and a thread hook on a worker would end the worker.
    /// Only set hooks are wrapped, so an unset one still costs one null check.
    /// </summary>
    public RuntimeHooks GuardedBy(RuntimeCore runtime)
    {
        RuntimeHooks guarded = Clone();
        guarded.TaskSpawn = Guard(TaskSpawn, runtime);
        guarded.BeforePoll = Guard(BeforePoll, runtime);
        guarded.AfterPoll = Guard(AfterPoll, runtime);
        guarded.TaskTerminate = Guard(TaskTerminate, runtime);
        guarded.ThreadStart = Guard(ThreadStart, runtime);
        guarded.ThreadStop = Guard(ThreadStop, runtime);
        guarded.ThreadPark = Guard(ThreadPark, runtime);
        guarded.ThreadUnpark = Guard(ThreadUnpark, runtime);
        return guarded;
    }

    private static Action<TaskMeta>? Guard(Action<TaskMeta>? hook, RuntimeCore runtime) => hook is null ? null : meta =>
    {
        try
        {
            hook(meta);
        }
#pragma warning disable CA1031 // A hook is user code: whatever it throws is reported, never thrown into the scheduler.
        catch (Exception error)
#pragma warning restore CA1031
        {
            runtime.ReportUnhandled(meta.Task, error);
        }
    };

    private static Action? Guard(Action? hook, RuntimeCore runtime) => hook is null ? null : () =>
    {
        try
        {
            hook();
        }
#pragma warning disable CA1031 // As above.
        catch (Exception error)
#pragma warning restore CA1031
        {
            runtime.ReportUnhandled(null, error);
        }
    };
}
