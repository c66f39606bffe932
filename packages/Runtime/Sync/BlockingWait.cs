using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;
using Spindle.Scheduling.Blocking;

namespace Spindle.Sync;

/// <summary>The <c>Blocking…</c> forms (tokio's <c>blocking_*</c>): wait for a leaf from synchronous code outside the runtime.</summary>
internal static class BlockingWait
{
    /// <summary>
    /// Throws if the calling thread belongs to a runtime (a task, a worker or a BlockOn thread). A
    /// blocking-pool thread running SpawnBlocking code may block: that is what it is for, and what the
    /// error message advises.
    /// </summary>
    public static void EnsureOffRuntime(string operation)
    {
        if (TaskCore.Current is not null || (RuntimeCore.ThreadRuntime is not null && !BlockingPool.IsPoolThread))
        {
            ThrowHelper.ThrowBlockingOnRuntime(operation);
        }
    }

    public static T Wait<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    public static void Wait(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            return;
        }

        pending.AsTask().GetAwaiter().GetResult();
    }
}
