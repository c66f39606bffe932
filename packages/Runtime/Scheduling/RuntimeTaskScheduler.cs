using System;
using System.Collections.Generic;
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
            TryExecuteTask(task);
            return default;
        };
        _runtime.Spawn<VoidResult>(_runtime.Flavor, RootKind.ValueTask, run, "tpl-work-item", null, 0, null);
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        // Inline only on the runtime's own threads, where the work item would have run anyway.
        RuntimeCore.Current == _runtime && TryExecuteTask(task);

    protected override IEnumerable<Task>? GetScheduledTasks() => null;
}
