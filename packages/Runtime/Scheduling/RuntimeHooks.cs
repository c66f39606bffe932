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
}
