using Spindle.Scheduling;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>
/// The live-task registry on its own: slot reuse, the growth bound, counts and listings, and the
/// handshake with shutdown. Tasks are created but never scheduled; only the registry sees them.
/// </summary>
public sealed class TaskRegistryTests : IDisposable
{
    private const int FirstChunk = 64;

    private readonly Runtime _runtime = Rt.Build(RuntimeFlavor.CurrentThread);

    public void Dispose() => _runtime.Dispose();

    private TaskCell<VoidResult> NewTask() =>
        new TaskCell<VoidResult>(TaskCore.NextId(null), _runtime.Handle.Core.Flavor, RootKind.Task, (Func<Task>)(() => Task.CompletedTask), null, null, 0, null);

    [Fact]
    public void SnapshotListsExactlyTheLiveTasks_InSpawnOrder_AndCountMatches()
    {
        var registry = new TaskRegistry(workers: 2);
        var live = new List<TaskCore>();
        for (int i = 0; i < 1_000; i++)
        {
            TaskCore task = NewTask();
            Assert.True(registry.TryAdd(task, worker: i % 3 - 1));
            live.Add(task);
        }

        // Remove nine in ten, from a thread that is not their table's owner for a third of them.
        for (int i = 0; i < live.Count; i++)
        {
            if (i % 10 != 0)
            {
                registry.Remove(live[i], worker: (i + 1) % 3 - 1);
            }
        }

        live = live.Where((_, i) => i % 10 == 0).ToList();
        Assert.Equal(live.Select(t => t.Id), registry.Snapshot().Select(t => t.Id));
        Assert.Equal(live.Count, registry.Count);
        Assert.Equal(1_000, registry.Added);
    }

    [Fact]
    public void ChurnWithFewLiveTasks_ReusesSlots_AndNeverGrows()
    {
        var registry = new TaskRegistry(workers: 1);
        var live = new Queue<TaskCore>();
        for (int i = 0; i < 100_000; i++)
        {
            TaskCore task = NewTask();
            Assert.True(registry.TryAdd(task, worker: 0));
            live.Enqueue(task);
            if (live.Count > 5)
            {
                registry.Remove(live.Dequeue(), worker: 0);
            }
        }

        Assert.Equal(5, registry.Count);
        // One first chunk per table (the worker's and the shared one).
        Assert.Equal(2 * FirstChunk, registry.Capacity);
    }

    [Fact]
    public void LongLivedTasksScatteredThroughTheTable_DoNotMakeItGrowWithChurn()
    {
        var registry = new TaskRegistry(workers: 1);
        var pinned = new List<TaskCore>();
        var churn = new Queue<TaskCore>();
        for (int i = 0; i < 200_000; i++)
        {
            TaskCore task = NewTask();
            Assert.True(registry.TryAdd(task, worker: 0));
            if (i % 997 == 0 && pinned.Count < 100)
            {
                pinned.Add(task);
            }
            else
            {
                churn.Enqueue(task);
                if (churn.Count > 50)
                {
                    registry.Remove(churn.Dequeue(), worker: 0);
                }
            }
        }

        Assert.Equal(pinned.Count + churn.Count, registry.Count);
        // At most about four times the peak live count (150 here), whatever the churn.
        Assert.InRange(registry.Capacity, 150, 4 * 150 + 2 * FirstChunk);
    }

    [Fact]
    public void ManyLiveTasks_GrowTheTable_AndEmptyingItLetsTheCursorReuseEverything()
    {
        var registry = new TaskRegistry(workers: 1);
        var live = new List<TaskCore>();
        for (int i = 0; i < 10_000; i++)
        {
            TaskCore task = NewTask();
            Assert.True(registry.TryAdd(task, worker: 0));
            live.Add(task);
        }

        int grown = registry.Capacity;
        Assert.InRange(grown, 10_000, 4 * 10_000 + 2 * FirstChunk);
        foreach (TaskCore task in live)
        {
            registry.Remove(task, worker: -1);
        }

        Assert.Equal(0, registry.Count);
        Assert.Empty(registry.Snapshot());
        for (int round = 0; round < 5; round++)
        {
            live.Clear();
            for (int i = 0; i < 10_000; i++)
            {
                TaskCore task = NewTask();
                Assert.True(registry.TryAdd(task, worker: 0));
                live.Add(task);
            }

            live.ForEach(t => registry.Remove(t, worker: 0));
        }

        Assert.Equal(grown, registry.Capacity);
    }

    [Fact]
    public void AfterClose_AddIsRefused_LeavesNoSlotBehind_AndTheSnapshotHadEveryEarlierTask()
    {
        var registry = new TaskRegistry(workers: 1);
        TaskCore early = NewTask();
        Assert.True(registry.TryAdd(early, worker: 0));

        List<TaskCore> closing = registry.Close();

        Assert.Same(early, Assert.Single(closing));
        Assert.False(registry.TryAdd(NewTask(), worker: 0));
        Assert.False(registry.TryAdd(NewTask(), worker: -1));
        Assert.Same(early, Assert.Single(registry.Snapshot()));
        Assert.Equal(1, registry.Count);
        registry.Remove(early, worker: 0);
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void SharedTable_FromManyThreads_CountsEveryAddAndRemove()
    {
        var registry = new TaskRegistry(workers: 1);
        const int PerThread = 20_000;
        Task[] threads = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
        {
            var mine = new Queue<TaskCore>();
            for (int i = 0; i < PerThread; i++)
            {
                TaskCore task = NewTask();
                Assert.True(registry.TryAdd(task, worker: -1));
                mine.Enqueue(task);
                if (mine.Count > 10)
                {
                    registry.Remove(mine.Dequeue(), worker: -1);
                }
            }

            while (mine.Count > 0)
            {
                registry.Remove(mine.Dequeue(), worker: -1);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        Assert.True(Task.WaitAll(threads, Rt.Bound), "the spawning threads did not finish");
        Assert.Equal(0, registry.Count);
        Assert.Equal(4 * PerThread, registry.Added);
        Assert.Empty(registry.Snapshot());
    }

    [Fact]
    public void CloseRacingAdds_EveryAcceptedTaskIsInTheSnapshotOrRemovedByItsSpawner()
    {
        for (int round = 0; round < 50; round++)
        {
            var registry = new TaskRegistry(workers: 2);
            var accepted = new System.Collections.Concurrent.ConcurrentBag<TaskCore>();
            using var started = new CountdownEvent(3);
            Task[] spawners = Enumerable.Range(-1, 3).Select(worker => Task.Factory.StartNew(() =>
            {
                started.Signal();
                while (true)
                {
                    TaskCore task = NewTask();
                    if (!registry.TryAdd(task, worker))
                    {
                        return;
                    }

                    accepted.Add(task);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();

            Assert.True(started.Wait(Rt.Bound));
            HashSet<long> snapshot = registry.Close().Select(t => t.Id).ToHashSet();
            Assert.True(Task.WaitAll(spawners, Rt.Bound), "a spawner did not see the close");

            Assert.All(accepted, t => Assert.Contains(t.Id, snapshot));
            Assert.Equal(accepted.Count, registry.Count);
        }
    }
}
