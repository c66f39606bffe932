using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Scheduling;

/// <summary>
/// The runtime seen as a TPL <see cref="TaskScheduler"/>: each queued TPL work item runs as a
/// short-lived Spindle task, so <c>Task.Factory.StartNew(..., scheduler)</c> and dataflow blocks run
/// on the runtime's workers.
/// </summary>
internal sealed class RuntimeTaskScheduler : TaskScheduler
{
    private readonly RuntimeCore _runtime;

    public RuntimeTaskScheduler(RuntimeCore runtime) => _runtime = runtime;

    public override int MaximumConcurrencyLevel => _runtime.Flavor.WorkerCount;

    protected override void QueueTask(Task task)
    {
        Func<ValueTask> run = () =>
        {
            ExecuteAsTplWork(task);
            return default;
        };
        _runtime.Spawn<VoidResult>(_runtime.Flavor, RootKind.ValueTask, run, "tpl-work-item", null, 0, null);
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        // Inline only on the runtime's own threads, where the work item would have run anyway.
        RuntimeCore.Current == _runtime && ExecuteAsTplWork(task);

    /// <summary>
    /// Runs a TPL task as TPL code on this scheduler: with no Spindle task current and no
    /// SynchronizationContext, so its awaits (Spindle leaves included) capture
    /// <see cref="TaskScheduler.Current"/>, this scheduler, and resume as new work items on the runtime.
    /// Under the work item's Spindle task they resumed through that task, which had finished by then
    /// (the work item ends when the delegate returns at its first await), so they ran on the thread pool.
    /// </summary>
    private bool ExecuteAsTplWork(Task task)
    {
        ThreadData thread = ThreadData.Current;
        TaskCore? polling = thread.Task;
        RuntimeCore? threadRuntime = thread.Runtime;
        SynchronizationContext? context = SynchronizationContext.Current;
        thread.Task = null;
        // RuntimeCore.Current stays this runtime (a thread-pool thread finishing work after shutdown has none of its own).
        thread.Runtime = _runtime;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return TryExecuteTask(task);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
            thread.Runtime = threadRuntime;
            thread.Task = polling;
        }
    }

    protected override IEnumerable<Task>? GetScheduledTasks() => null;
}
