namespace Spindle.Scheduling;

/// <summary>The shape of the delegate a task was spawned with.</summary>
internal enum RootKind : byte
{
    TaskOfT,
    Task,
    ValueTaskOfT,
    ValueTask,
    BlockingFunc,
    BlockingAction,
}
