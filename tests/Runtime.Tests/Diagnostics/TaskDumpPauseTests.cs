using System.Runtime.CompilerServices;
using Spindle.Sync;
using SpindleTests.Support;

namespace SpindleTests.Diagnostics;

/// <summary>
/// A dump is taken between polls: every worker (or the current-thread driver) pauses before its next
/// poll, so the dump is one moment of the runtime; a worker stuck in one long poll is reported busy.
/// </summary>
public sealed class TaskDumpPauseTests
{
    private const int RingSize = 4;

    /// <summary>
    /// A ring of tasks passing one token: between any two polls exactly one of them is scheduled (the
    /// one the token was sent to) and the rest wait on their channel. A dump that is not one moment
    /// sees zero or two.
    /// </summary>
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_TokenRing_SeesExactlyOneScheduledTaskInEveryDump(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var stop = new StrongBox<bool>();
            var senders = new UnboundedSender<long>[RingSize];
            var receivers = new MpscReceiver<long>[RingSize];
            for (int i = 0; i < RingSize; i++)
            {
                (senders[i], receivers[i]) = Mpsc.Unbounded<long>();
            }

            var ring = new List<JoinHandle>();
            for (int i = 0; i < RingSize; i++)
            {
                MpscReceiver<long> rx = receivers[i];
                UnboundedSender<long> tx = senders[(i + 1) % RingSize];
                ring.Add(RuntimeHandle.Current.Spawn(() => PassTokenAsync(rx, tx, stop)));
            }

            senders[0].Send(0);
            var ids = ring.Select(t => t.Id).ToHashSet();
            // Every ring task has been polled and so waits on its channel unless it holds the token.
            await Waiting.UntilAsync(() => runtime.Handle.GetTasks().Count(t => ids.Contains(t.Id) && t.PollCount > 1) == RingSize);
            for (int round = 0; round < 40; round++)
            {
                // Half the dumps from inside the runtime, half from a thread outside it.
                TaskDump dump = round % 2 == 0
                    ? await runtime.Handle.DumpAsync()
                    : await Rt.Within(Task.Run(async () => await runtime.Handle.DumpAsync()));
                List<TaskDumpEntry> entries = dump.Tasks.Where(t => ids.Contains(t.Task.Id)).ToList();
                Assert.Equal(RingSize, entries.Count);
                Assert.True(dump.BusyWorkers == 0, dump.ToString());
                int active = entries.Count(t => t.Task.State != TaskState.Idle);
                Assert.True(active == 1, $"round {round}: {active} ring tasks not idle\n{dump}");
                Assert.All(entries, e => Assert.True(e.Note is null, dump.ToString()));
                Assert.All(entries.Where(e => e.Task.State == TaskState.Idle), e => Assert.Equal("mpsc.recv", e.WaitingOn?.Kind));
                await SpindleTask.YieldAsync();
            }

            Volatile.Write(ref stop.Value, true);
            foreach (JoinHandle task in ring)
            {
                await Rt.Within(task.AsTask());
            }
        });
    }

    private static async Task PassTokenAsync(MpscReceiver<long> rx, UnboundedSender<long> tx, StrongBox<bool> stop)
    {
        using (tx)
        {
            while (true)
            {
                RecvResult<long> token = await rx.RecvAsync();
                if (!token.HasValue || Volatile.Read(ref stop.Value))
                {
                    // Disposing the only sender of the next channel closes it: the ring unwinds.
                    return;
                }

                tx.Send(token.Value + 1);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_WorkerBusyInOnePoll_ReportsItBusyAndItsTaskRunning(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle parked = RuntimeHandle.Current.Spawn(() => WaitAsync(notify));
            await Waiting.UntilParkedOnAsync(runtime, parked.Id, "notify");

            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new ManualResetEventSlim();
            JoinHandle spinner = RuntimeHandle.Current.Spawn(() =>
            {
                started.TrySetResult();
                // Synchronous work inside one poll, bounded so a broken dump cannot hang the test.
                if (!release.Wait(Rt.Bound))
                {
                    throw new TimeoutException("the dump never let the busy task go");
                }

                return Task.CompletedTask;
            });

            // From a thread outside the runtime: on the current-thread runtime the spinner holds the
            // only thread, so this task cannot run again until the dump releases it.
            TaskDump dump = await Rt.Within(Task.Run(async () =>
            {
                await started.Task.WaitAsync(Rt.Bound);
                try
                {
                    return await runtime.Handle.DumpAsync();
                }
                finally
                {
                    release.Set();
                }
            }));

            Assert.True(dump.BusyWorkers == 1, dump.ToString());
            Assert.Contains("1 busy worker(s) not paused", dump.ToString(), StringComparison.Ordinal);
            TaskDumpEntry busy = dump.Tasks.Single(t => t.Task.Id == spinner.Id);
            Assert.Equal(TaskState.Running, busy.Task.State);
            Assert.Equal("running", busy.Note);
            Assert.Empty(busy.Frames);
            TaskDumpEntry waiting = dump.Tasks.Single(t => t.Task.Id == parked.Id);
            Assert.True(waiting.Frames.Count >= 1 && waiting.Frames[^1].Method == "TaskDumpPauseTests.WaitAsync", dump.ToString());
            Assert.Equal("notify", waiting.WaitingOn?.Kind);

            await Rt.Within(spinner.AsTask());
            notify.NotifyOne();
            await Rt.Within(parked.AsTask());
        });
    }

    private static async Task WaitAsync(Notify notify) => await notify.NotifiedAsync();

    [Fact]
    public void DumpAsync_CurrentThreadRuntimeNobodyDrives_TakesTheCoreAndSeesQueuedTasks()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var notify = new Notify();
        JoinHandle queued = runtime.Spawn(() => WaitAsync(notify));

        // No BlockOn: nothing polls, so the dump does not wait and nothing is busy.
        Task<TaskDump> taking = runtime.Handle.DumpAsync().AsTask();
        Assert.True(taking.Wait(Rt.Bound), "the dump did not finish");
        TaskDump dump = taking.Result;
        TaskDumpEntry entry = dump.Tasks.Single(t => t.Task.Id == queued.Id);
        Assert.Equal(0, dump.BusyWorkers);
        Assert.Equal(TaskState.Scheduled, entry.Task.State);
        Assert.Equal(0, entry.Task.PollCount);

        // The dump let go of the core: BlockOn drives the queued task.
        notify.NotifyOne();
        runtime.BlockOn(async () => await Rt.Within(queued.AsTask()));
    }
}
