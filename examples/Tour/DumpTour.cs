using System;
using System.Linq;
using System.Threading.Tasks;
using Spindle;
using Spindle.Diagnostics;
using Spindle.Sync;
using Spindle.Time;

namespace Tour;

/// <summary>Tour step 7: a task dump of a few deliberately waiting tasks, with the file:line of each await.</summary>
internal static class DumpTour
{
    public static async Task RunAsync(Runtime runtime)
    {
        var shutdown = new Notify();
        var (orders, inbox) = Mpsc.Bounded<string>(8);
        JoinHandle consumer = SpindleTask.Spawn(() => ConsumeAsync(inbox), name: "order-consumer");
        JoinHandle poller = SpindleTask.Spawn(() => PollAsync(shutdown), name: "poller");
        JoinHandle waiter = SpindleTask.Spawn(async () => await shutdown.NotifiedAsync(), name: "shutdown-waiter");

        // Wait (yielding) until all three are parked, so the dump shows them suspended.
        long[] ids = [consumer.Id, poller.Id, waiter.Id];
        while (runtime.Handle.GetTasks().Count(t => ids.Contains(t.Id) && t.State == TaskState.Idle && t.WaitingOn is not null) < ids.Length)
        {
            await SpindleTask.YieldAsync();
        }

        TaskDump dump = await runtime.Handle.DumpAsync();
        Console.WriteLine("[dump] " + string.Join("\n[dump] ", dump.Tasks.Where(t => ids.Contains(t.Task.Id))
            .Select(t => t.ToString().TrimEnd('\n').Replace("\n", "\n[dump] ", StringComparison.Ordinal))));

        orders.Dispose();
        poller.Abort();
        shutdown.NotifyWaiters();
        await consumer;
        await waiter;
        try
        {
            await poller;
        }
        catch (TaskAbortedException)
        {
        }
    }

    private static async Task ConsumeAsync(MpscReceiver<string> inbox)
    {
        while (await ReceiveOneAsync(inbox) is not null)
        {
        }
    }

    private static async ValueTask<string?> ReceiveOneAsync(MpscReceiver<string> inbox)
    {
        RecvResult<string> result = await inbox.RecvAsync();
        return result.HasValue ? result.Value : null;
    }

    private static async Task PollAsync(Notify shutdown)
    {
        while (true)
        {
            await Time.SleepAsync(TimeSpan.FromMinutes(5));
            shutdown.NotifyOne();
        }
    }
}
