using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// The awaitable returned by <see cref="SpindleTask.YieldAsync"/>: puts the task at the back of the
/// run queue so other tasks run first. Allocation-free.
/// </summary>
/// <remarks>
/// <para><b>Cancellation:</b> an aborted task (or expired timeout scope) throws
/// <see cref="OperationCanceledException"/> from the yield, like any Spindle await.</para>
/// <para>Outside a Spindle task it behaves like <see cref="Task.Yield"/>.</para>
/// </remarks>
public readonly struct YieldAwaitable
{
    /// <summary>Gets the awaiter.</summary>
    /// <returns>The awaiter.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Awaiter GetAwaiter() => default;

    /// <summary>The awaiter of <see cref="YieldAwaitable"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public readonly struct Awaiter : ICriticalNotifyCompletion
    {
        /// <summary>Gets false: a yield always suspends.</summary>
        public bool IsCompleted
        {
            get
            {
                TaskCore.Current?.ThrowIfCancelled();
                return false;
            }
        }

        /// <summary>Schedules the continuation after the other queued tasks.</summary>
        /// <param name="continuation">The continuation.</param>
        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        /// <summary>Schedules the continuation after the other queued tasks.</summary>
        /// <param name="continuation">The continuation.</param>
        public void UnsafeOnCompleted(Action continuation)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            TaskCore? task = TaskCore.Current;
            if (task is not null)
            {
                task.EnqueueYield(continuation, null);
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(static c => ((Action)c!)(), continuation, preferLocal: false);
            }
        }

        /// <summary>Ends the await; throws if the task was aborted meanwhile.</summary>
        public void GetResult() => TaskCore.Current?.ThrowIfCancelled();
    }
}
