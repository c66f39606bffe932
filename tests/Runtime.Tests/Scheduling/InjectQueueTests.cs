using Spindle.Scheduling;
using Spindle.Scheduling.MultiThread;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>
/// The multi-thread flavour's global queue on its own: lock-free pushes onto an incoming stack,
/// taken over and reversed by the workers, must still hand tasks out first in, first out, lose or
/// repeat none under concurrent pushers, and keep its length exact. Tasks are created, never run.
/// </summary>
public sealed class InjectQueueTests : IDisposable
{
    private readonly Runtime _runtime = Rt.Build(RuntimeFlavor.CurrentThread);

    public void Dispose() => _runtime.Dispose();

    private TaskCore[] NewTasks(int count)
    {
        var tasks = new TaskCore[count];
        for (int i = 0; i < count; i++)
        {
            tasks[i] = new TaskCell<VoidResult>(TaskCore.NextId(null), _runtime.Handle.Core.Flavor, RootKind.Task, (Func<Task>)(() => Task.CompletedTask), null, null, 0, null);
        }

        return tasks;
    }

    [Fact]
    public void PushesAndBatches_ComeOutInPushOrder_AcrossPopsBatchPopsAndRefills()
    {
        TaskCore[] t = NewTasks(12);
        var queue = new InjectQueue();
        Assert.True(queue.IsEmpty);
        Assert.Null(queue.Pop());

        for (int i = 0; i < 5; i++)
        {
            queue.Push(t[i]);
        }

        queue.PushOverflow([t[5], t[6], t[7]]);
        Assert.Equal(8, queue.Count);
        Assert.Same(t[0], queue.Pop());

        // Pushed while older tasks wait on the workers' side: must come after them.
        queue.Push(t[8]);
        queue.PushOverflow([t[9], t[10]]);
        Assert.Equal(10, queue.Count);

        var local = new LocalQueue();
        Assert.Same(t[1], queue.PopBatchInto(4, local));
        Assert.Equal(6, queue.Count);
        Assert.Equal([t[2], t[3], t[4]], DrainLocal(local));

        queue.Push(t[11]);
        // Singles from outside count as remote schedules, overflow does not.
        Assert.Equal(7, queue.RemotePushes);
        var drained = new List<TaskCore>();
        queue.DrainTo(drained);
        Assert.Equal(t[5..], drained);
        Assert.True(queue.IsEmpty);
        Assert.All(t, task => Assert.Null(task.QueueNext));
    }

    [Fact]
    public void BatchPop_LargerThanTheQueue_TakesWhatIsThere()
    {
        TaskCore[] t = NewTasks(3);
        var queue = new InjectQueue();
        queue.PushOverflow(t);
        var local = new LocalQueue();
        Assert.Same(t[0], queue.PopBatchInto(100, local));
        Assert.Equal([t[1], t[2]], DrainLocal(local));
        Assert.Equal(0, queue.Count);
        Assert.Null(queue.PopBatchInto(100, local));
    }

    [Fact]
    public async Task ConcurrentPushers_EveryTaskComesOutOnce_InEachPushersOrder()
    {
        const int Pushers = 4;
        int perPusher = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long" ? 100_000 : 5_000;
        TaskCore[][] tasks = Enumerable.Range(0, Pushers).Select(_ => NewTasks(perPusher)).ToArray();
        var origin = new Dictionary<TaskCore, (int Pusher, int Index)>(ReferenceEqualityComparer.Instance);
        for (int p = 0; p < Pushers; p++)
        {
            for (int i = 0; i < perPusher; i++)
            {
                origin.Add(tasks[p][i], (p, i));
            }
        }

        var queue = new InjectQueue();
        using var start = new Barrier(Pushers + 1);
        Task[] pushers = Enumerable.Range(0, Pushers).Select(p => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(Rt.Bound);
            TaskCore[] mine = tasks[p];
            for (int i = 0; i < mine.Length;)
            {
                // Singles and batches, as remote spawns and local-queue overflow push them.
                if (i % 7 == 3 && i + 3 <= mine.Length)
                {
                    queue.PushOverflow(mine[i..(i + 3)]);
                    i += 3;
                }
                else
                {
                    queue.Push(mine[i++]);
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        int[] next = new int[Pushers];
        int seen = 0;
        var local = new LocalQueue();
        start.SignalAndWait(Rt.Bound);
        var deadline = DateTime.UtcNow + Rt.Bound;
        while (seen < Pushers * perPusher)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {seen} of {Pushers * perPusher} tasks came out");
            TaskCore? task = seen % 2 == 0 ? queue.Pop() : queue.PopBatchInto(8, local);
            while (task is not null)
            {
                (int pusher, int index) = origin[task];
                Assert.Equal(next[pusher], index);
                next[pusher]++;
                seen++;
                task = local.Pop();
            }

            Assert.True(queue.Count >= 0);
        }

        await Rt.Within(Task.WhenAll(pushers));
        Assert.True(queue.IsEmpty);
        Assert.Null(queue.Pop());
        Assert.All(next, n => Assert.Equal(perPusher, n));
    }

    private static List<TaskCore> DrainLocal(LocalQueue local)
    {
        var tasks = new List<TaskCore>();
        while (local.Pop() is TaskCore task)
        {
            tasks.Add(task);
        }

        return tasks;
    }
}
