using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Spindle;
using Spindle.Diagnostics;
using Spindle.Time;

namespace Tour;

/// <summary>
/// The demo: a short tour of the runtime that prints what it shows and exits by itself.
/// Run with <c>dotnet run --project examples/Tour -c Release</c>.
/// </summary>
public static class Program
{
    public static int Main()
    {
        using Runtime runtime = RuntimeBuilder.CreateMultiThread()
            .WorkerThreads(2)
            .ThreadNamePrefix("tour")
            .Build();

        int exitCode = runtime.BlockOn(() => TourAsync(runtime), name: "tour");

        RuntimeMetrics metrics = runtime.Metrics;
        long polls = Enumerable.Range(0, metrics.NumWorkers).Sum(metrics.GetWorkerPollCount);
        long steals = Enumerable.Range(0, metrics.NumWorkers).Sum(metrics.GetWorkerStealCount);
        Console.WriteLine($"[metrics] workers={metrics.NumWorkers} spawned={metrics.SpawnedTasksCount} polls={polls} steals={steals} " +
                          $"remote-schedules={metrics.RemoteScheduleCount} budget-yields={metrics.BudgetForcedYieldCount}");
        Console.WriteLine("Tour finished.");
        return exitCode;
    }

    private static async Task<int> TourAsync(Runtime runtime)
    {
        // 1. Spawn and join.
        JoinHandle<int> answer = SpindleTask.Spawn(async () =>
        {
            await SpindleTask.YieldAsync();
            return 6 * 7;
        }, name: "answer");
        Console.WriteLine($"[spawn] task #{answer.Id} \"{answer.Name}\" returned {await answer}");

        // 2. A JoinSet: results in completion order.
        using (var set = new JoinSet<string>())
        {
            foreach (int ms in new[] { 30, 10, 20 })
            {
                set.Spawn(async () =>
                {
                    await Time.SleepAsync(TimeSpan.FromMilliseconds(ms));
                    return $"{ms} ms";
                }, name: $"sleeper-{ms}");
            }

            var order = new List<string>();
            while (await set.JoinNextAsync() is { } done)
            {
                order.Add(done.Value);
            }

            Console.WriteLine($"[joinset] completion order: {string.Join(", ", order)}");
        }

        // 3. Abort: the task's await throws, its finally block runs, the handle reports the abort.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool cleanedUp = false;
        JoinHandle slow = SpindleTask.Spawn(async () =>
        {
            try
            {
                started.SetResult();
                await Time.SleepAsync(TimeSpan.FromHours(1));
            }
            finally
            {
                cleanedUp = true;
            }
        }, name: "slow");
        await started.Task;
        TaskInfo waiting;
        while ((waiting = runtime.Handle.GetTasks().First(t => t.Id == slow.Id)).WaitingOn is null)
        {
            await SpindleTask.YieldAsync();
        }

        Console.WriteLine($"[tasks] {waiting}");
        slow.Abort();
        try
        {
            await slow;
        }
        catch (TaskAbortedException e)
        {
            Console.WriteLine($"[abort] {e.Message} finally ran: {cleanedUp}");
        }

        // 4. Timers: an interval and a timeout.
        Instant start = Instant.Now;
        Interval interval = Time.IntervalAt(start, TimeSpan.FromMilliseconds(20));
        for (int i = 0; i < 4; i++)
        {
            Instant tick = await interval.TickAsync();
            Console.WriteLine($"[interval] tick {i} scheduled at +{(tick - start).TotalMilliseconds:F0} ms");
        }

        try
        {
            await Time.TimeoutAsync(TimeSpan.FromMilliseconds(50), async ct =>
            {
                await Time.SleepAsync(TimeSpan.FromSeconds(10), ct);
                return 0;
            });
        }
        catch (TimeoutException e)
        {
            Console.WriteLine($"[timeout] {e.Message}");
        }

        // 5. Blocking work goes to the blocking pool, not a worker.
        string thread = await SpindleTask.SpawnBlocking(() => Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Console.WriteLine($"[blocking] ran on thread {thread}");
        return 0;
    }
}
