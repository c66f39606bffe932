using System.Runtime.CompilerServices;
using SpindleTests.Support;

namespace SpindleTests.Diagnostics;

/// <summary>
/// One dump of a runtime with a task parked on every kind of Spindle leaf: each entry ends in that
/// leaf, described by itself (kind and the await's line), under the frame of the method that awaits it.
/// </summary>
public sealed class TaskDumpLeafTests
{
    private static int LineOf(string marker, [CallerFilePath] string file = "") => SourceFiles.LineOfMarker(marker, file);

    private static async Task MpscRecvAsync(MpscReceiver<int> rx) => await rx.RecvAsync(); // @mpsc-recv

    private static async Task MpscSendAsync(MpscSender<int> tx) => await tx.SendAsync(2); // @mpsc-send

    private static async Task MpscClosedAsync(MpscSender<int> tx) => await tx.ClosedAsync(); // @mpsc-closed

    private static async Task OneshotRecvAsync(OneshotReceiver<int> rx) => await rx.RecvAsync(); // @oneshot-recv

    private static async Task OneshotClosedAsync(OneshotSender<int> tx) => await tx.ClosedAsync(); // @oneshot-closed

    private static async Task BroadcastRecvAsync(BroadcastReceiver<int> rx) => await rx.RecvAsync(); // @broadcast-recv

    private static async Task WatchChangedAsync(WatchReceiver<int> rx) => await rx.ChangedAsync(); // @watch-changed

    private static async Task NotifyAsync(Notify notify) => await notify.NotifiedAsync(); // @notify

    private static async Task MutexAsync(AsyncMutex<int> mutex)
    {
        using AsyncMutexGuard<int> guard = await mutex.LockAsync(); // @mutex
    }

    private static async Task ReadAsync(AsyncRwLock<int> rwlock)
    {
        using AsyncRwLockReadGuard<int> guard = await rwlock.ReadAsync(); // @rwlock-read
    }

    private static async Task WriteAsync(AsyncRwLock<int> rwlock)
    {
        using AsyncRwLockWriteGuard<int> guard = await rwlock.WriteAsync(); // @rwlock-write
    }

    private static async Task SemaphoreAsync(AsyncSemaphore semaphore)
    {
        using SemaphorePermit permit = await semaphore.AcquireAsync(); // @semaphore
    }

    private static async Task BarrierAsync(AsyncBarrier barrier) => await barrier.WaitAsync(); // @barrier

    private static async Task OnceCellAsync(OnceCell<int> cell) => await cell.GetOrInitAsync(() => ValueTask.FromResult(1)); // @oncecell

    private static async Task SleepAsync() => await Time.SleepAsync(TimeSpan.FromHours(1)); // @sleep

    private static async Task IntervalAsync(Interval interval) => await interval.TickAsync(); // @interval

    private static async Task JoinAsync(JoinHandle other) => await other; // @join

    private static async Task JoinSetAsync(JoinSet<int> set) => await set.JoinNextAsync(); // @join-set

    private static async Task ReadableAsync(IoRegistration registration) => await registration.ReadinessAsync(Interest.Readable); // @io-readiness

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_TaskOnEveryLeafKind_EndsInThatLeafAtItsAwaitLine(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (mpscTx, mpscRx) = Mpsc.Unbounded<int>();
            var (fullTx, fullRx) = Mpsc.Bounded<int>(1);
            Assert.Equal(TrySendStatus.Sent, fullTx.TrySend(1));
            var (closedTx, closedRx) = Mpsc.Bounded<int>(1);
            var (oneshotTx, oneshotRx) = Oneshot.Create<int>();
            var (oneshotClosedTx, oneshotClosedRx) = Oneshot.Create<int>();
            var (broadcastTx, broadcastRx) = Broadcast.Create<int>(4);
            var (watchTx, watchRx) = Watch.Create(0);
            var notify = new Notify();
            var mutex = new AsyncMutex<int>(0);
            using AsyncMutexGuard<int> mutexHeld = await mutex.LockAsync();
            var readLock = new AsyncRwLock<int>(0);
            using AsyncRwLockWriteGuard<int> writeHeld = await readLock.WriteAsync();
            var writeLock = new AsyncRwLock<int>(0);
            using AsyncRwLockReadGuard<int> readHeld = await writeLock.ReadAsync();
            var semaphore = new AsyncSemaphore(0);
            var barrier = new AsyncBarrier(2);
            var cell = new OnceCell<int>();
            var initializing = new Notify();
            JoinHandle initializer = RuntimeHandle.Current.Spawn(async () => await cell.GetOrInitAsync(async () => { await initializing.NotifiedAsync(); return 1; }));
            await Waiting.UntilParkedOnAsync(runtime, initializer.Id, "notify");
            Interval interval = Time.Interval(TimeSpan.FromHours(1));
            await interval.TickAsync(); // the first tick is immediate
            using var set = new JoinSet<int>();
            set.Spawn(async () => { await notify.NotifiedAsync(); return 1; });
            using SocketPair pair = SocketPair.Tcp();
            using IoRegistration registration = IoRegistration.Register(pair.Local);
            await DrainReadableAsync(registration);

            var cases = new (string Kind, string Marker, string Method, JoinHandle Task)[]
            {
                ("mpsc.recv", "mpsc-recv", "MpscRecvAsync", RuntimeHandle.Current.Spawn(() => MpscRecvAsync(mpscRx))),
                ("mpsc.send", "mpsc-send", "MpscSendAsync", RuntimeHandle.Current.Spawn(() => MpscSendAsync(fullTx))),
                ("mpsc.closed", "mpsc-closed", "MpscClosedAsync", RuntimeHandle.Current.Spawn(() => MpscClosedAsync(closedTx.Clone()))),
                ("oneshot.recv", "oneshot-recv", "OneshotRecvAsync", RuntimeHandle.Current.Spawn(() => OneshotRecvAsync(oneshotRx))),
                ("oneshot.closed", "oneshot-closed", "OneshotClosedAsync", RuntimeHandle.Current.Spawn(() => OneshotClosedAsync(oneshotClosedTx))),
                ("broadcast.recv", "broadcast-recv", "BroadcastRecvAsync", RuntimeHandle.Current.Spawn(() => BroadcastRecvAsync(broadcastRx))),
                ("watch.changed", "watch-changed", "WatchChangedAsync", RuntimeHandle.Current.Spawn(() => WatchChangedAsync(watchRx))),
                ("notify", "notify", "NotifyAsync", RuntimeHandle.Current.Spawn(() => NotifyAsync(notify))),
                ("mutex", "mutex", "MutexAsync", RuntimeHandle.Current.Spawn(() => MutexAsync(mutex))),
                ("rwlock.read", "rwlock-read", "ReadAsync", RuntimeHandle.Current.Spawn(() => ReadAsync(readLock))),
                ("rwlock.write", "rwlock-write", "WriteAsync", RuntimeHandle.Current.Spawn(() => WriteAsync(writeLock))),
                ("semaphore", "semaphore", "SemaphoreAsync", RuntimeHandle.Current.Spawn(() => SemaphoreAsync(semaphore))),
                ("barrier", "barrier", "BarrierAsync", RuntimeHandle.Current.Spawn(() => BarrierAsync(barrier))),
                ("oncecell", "oncecell", "OnceCellAsync", RuntimeHandle.Current.Spawn(() => OnceCellAsync(cell))),
                ("sleep", "sleep", "SleepAsync", RuntimeHandle.Current.Spawn(SleepAsync)),
                ("interval tick", "interval", "IntervalAsync", RuntimeHandle.Current.Spawn(() => IntervalAsync(interval))),
                ("join", "join", "JoinAsync", RuntimeHandle.Current.Spawn(() => JoinAsync(initializer))),
                ("join set", "join-set", "JoinSetAsync", RuntimeHandle.Current.Spawn(() => JoinSetAsync(set))),
                ("io readiness", "io-readiness", "ReadableAsync", RuntimeHandle.Current.Spawn(() => ReadableAsync(registration))),
            };

            foreach (var c in cases)
            {
                await Waiting.UntilParkedOnAsync(runtime, c.Task.Id, c.Kind);
            }

            TaskDump dump = await runtime.Handle.DumpAsync();
            foreach (var c in cases)
            {
                TaskDumpEntry entry = dump.Tasks.Single(t => t.Task.Id == c.Task.Id);
                string context = $"{c.Kind}:\n{entry}\n" + string.Join("\n", entry.Frames.Select(f => $"  at {f.Method} line {f.LineNumber} {f.Note}"));
                Assert.True(entry.WaitingOn?.Kind == c.Kind, context);
                // `await handle` goes through GetAwaiter, which cannot see its caller: the join leaf
                // has no line of its own, the frame above it has.
                Assert.True(entry.WaitingOn.CallerLineNumber == (c.Kind == "join" ? 0 : LineOf(c.Marker)), context);

                // The awaiting method's frame, at the await's line. Below it there may be Spindle's
                // own async helper (e.g. OnceCell's slow path), shown like any other frame.
                Assert.True(entry.Frames.Count >= 1, context);
                Assert.True(entry.Frames[0].Method == "TaskDumpLeafTests." + c.Method, context);
                Assert.True(entry.Frames[0].LineNumber == LineOf(c.Marker), context);
                Assert.All(entry.Frames, f => Assert.True(f.Note is null, context));
            }

            Assert.Equal(0, dump.BusyWorkers);
            foreach (var c in cases)
            {
                c.Task.Abort();
            }

            initializer.Abort();
        });
    }

    private static async Task DrainReadableAsync(IoRegistration registration)
    {
        // A fresh registration starts out readable and writable; clear readable so the wait parks.
        // A clear is refused after any newer driver report (the tick rule), so loop, bounded.
        DateTime deadline = DateTime.UtcNow + Rt.Bound;
        while (registration.TryGetReadiness(Interest.Readable, out ReadyEvent ready))
        {
            registration.ClearReadiness(ready);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the readable bit could not be cleared");
            }

            await SpindleTask.YieldAsync();
        }
    }
}
