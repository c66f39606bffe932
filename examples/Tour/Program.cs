using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Spindle;
using Spindle.Diagnostics;
using Spindle.Net;
using Spindle.Sync;
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

        // 6. Sync primitives: channels, locks and a watch, all abort-aware Spindle leaves.
        await SyncTourAsync();

        // 7. Network: a loopback echo server and clients on the runtime's I/O driver.
        await NetTourAsync();

        // 8. A task dump: every waiting task with its async call chain and the leaf it waits on.
        await DumpTour.RunAsync(runtime);
        return 0;
    }

    private static async Task NetTourAsync()
    {
        using AsyncTcpListener listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        JoinHandle server = SpindleTask.Spawn(async () =>
        {
            while (true)
            {
                TcpStream connection = await listener.AcceptAsync();
                _ = SpindleTask.Spawn(async () =>
                {
                    using (connection)
                    {
                        byte[] buffer = new byte[1024];
                        int n;
                        while ((n = await connection.ReadAsync(buffer)) > 0)
                        {
                            await connection.WriteAllAsync(buffer.AsMemory(0, n));
                        }
                    }
                }, name: "echo-connection");
            }
        }, name: "echo-server");

        using var clients = new JoinSet<string>();
        for (int c = 0; c < 3; c++)
        {
            int id = c;
            clients.Spawn(async () =>
            {
                using TcpStream stream = await TcpStream.ConnectAsync(listener.LocalEndPoint);
                byte[] message = Encoding.UTF8.GetBytes($"hello from client {id}");
                await stream.WriteAllAsync(message);
                stream.ShutdownWrite();
                var echoed = new List<byte>();
                byte[] buffer = new byte[256];
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    echoed.AddRange(buffer.AsSpan(0, n).ToArray());
                }

                return Encoding.UTF8.GetString(echoed.ToArray());
            });
        }

        var replies = new List<string>();
        while (await clients.JoinNextAsync() is { } done)
        {
            replies.Add(done.Value);
        }

        server.Abort();
        replies.Sort(StringComparer.Ordinal);
        Console.WriteLine($"[net] echo server on {listener.LocalEndPoint} answered {replies.Count} clients: {string.Join(" | ", replies)}");
    }

    private static async Task SyncTourAsync()
    {
        // mpsc: three producers, back-pressure from a capacity of 2, end of stream when they are done.
        var (sender, receiver) = Mpsc.Bounded<string>(capacity: 2);
        using (sender)
        {
            for (int p = 0; p < 3; p++)
            {
                MpscSender<string> producer = sender.Clone();
                int id = p;
                _ = SpindleTask.Spawn(async () =>
                {
                    using (producer)
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            await producer.SendAsync($"p{id}:{i}");
                        }
                    }
                }, name: $"producer-{id}");
            }
        }

        int received = 0;
        while ((await receiver.RecvAsync()).HasValue)
        {
            received++;
        }

        Console.WriteLine($"[mpsc] received {received} messages, then end of stream");

        // broadcast: every subscriber sees every value; a slow one is told how much it missed.
        var (news, fast) = Broadcast.Create<int>(capacity: 4);
        using BroadcastReceiver<int> slow = news.Subscribe();
        using (fast)
        {
            for (int i = 1; i <= 6; i++)
            {
                news.Send(i);
                BroadcastResult<int> got = await fast.RecvAsync();
                Console.Write(i == 1 ? $"[broadcast] fast got {got.Value}" : $",{got.Value}");
            }
        }

        BroadcastResult<int> lagged = await slow.RecvAsync();
        BroadcastResult<int> next = await slow.RecvAsync();
        Console.WriteLine($"; slow: {lagged.Status} by {lagged.LaggedBy}, then {next.Value}");
        news.Dispose();

        // watch: the latest configuration, with waiting for a condition.
        var (config, watcher) = Watch.Create("v1");
        using (watcher)
        {
            JoinHandle<string> waiter = SpindleTask.Spawn(() => watcher.WaitForAsync(v => v == "v3").AsTask(), name: "config-waiter");
            config.Send("v2");
            config.Send("v3");
            Console.WriteLine($"[watch] waited for {await waiter}");
        }

        config.Dispose();

        // AsyncMutex: the guard owns the value; held across awaits without blocking a thread.
        var counter = new AsyncMutex<int>(0);
        var semaphore = new AsyncSemaphore(2);
        int peak = 0;
        int inside = 0;
        using (var workers = new JoinSet<int>())
        {
            for (int t = 0; t < 6; t++)
            {
                workers.Spawn(async () =>
                {
                    using SemaphorePermit permit = await semaphore.AcquireAsync();
                    int now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref peak, now);
                    await Time.SleepAsync(TimeSpan.FromMilliseconds(2));
                    Interlocked.Decrement(ref inside);
                    using AsyncMutexGuard<int> guard = await counter.LockAsync();
                    return ++guard.Value;
                });
            }

            while (await workers.JoinNextAsync() is { } done)
            {
                _ = done.Value;
            }
        }

        using (AsyncMutexGuard<int> total = await counter.LockAsync())
        {
            Console.WriteLine($"[locks] mutex counted {total.Value} workers; at most {peak} held the 2-permit semaphore at once");
        }

        // Notify + OnceCell: many tasks want a value that is computed once, when a signal arrives.
        var ready = new Notify();
        var cell = new OnceCell<string>();
        int initializations = 0;
        using (var readers = new JoinSet<string>())
        {
            for (int r = 0; r < 3; r++)
            {
                readers.Spawn(() => cell.GetOrInitAsync(async () =>
                {
                    Interlocked.Increment(ref initializations);
                    await ready.NotifiedAsync();
                    return "computed once";
                }).AsTask());
            }

            ready.NotifyOne();
            var values = new List<string>();
            while (await readers.JoinNextAsync() is { } done)
            {
                values.Add(done.Value);
            }

            Console.WriteLine($"[notify+oncecell] {values.Count} readers got \"{values[0]}\"; initializer ran {initializations} time(s)");
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
