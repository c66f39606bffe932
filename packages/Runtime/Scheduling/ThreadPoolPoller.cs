using System.Threading;

namespace Spindle.Scheduling;

/// <summary>
/// Polls tasks of a stopped runtime on the .NET thread pool, so tasks that outlived shutdown (stuck in
/// foreign awaits at the time) still unwind and run their <c>finally</c> blocks when they wake.
/// </summary>
internal static class ThreadPoolPoller
{
    public static void Poll(TaskCore task) =>
        ThreadPool.UnsafeQueueUserWorkItem(static t =>
        {
            PollResult result = t.Poll();
            if (result is PollResult.Notified or PollResult.Yield)
            {
                Poll(t);
            }
        }, task, preferLocal: false);
}
