using SpindleTests.Support;

namespace SpindleTests.Synchronization;

public sealed class AsyncRwLockTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ReadAsync_ManyReadersAtOnce_WriterExcludesAll(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var rw = new AsyncRwLock<int>(1);
            AsyncRwLockReadGuard<int> r1 = await rw.ReadAsync();
            AsyncRwLockReadGuard<int> r2 = await rw.ReadAsync();
            Assert.Equal(1, r1.Value + r2.Value - 1);
            Assert.False(rw.TryWrite(out _));

            JoinHandle writer = SpindleTask.Spawn(async () =>
            {
                using AsyncRwLockWriteGuard<int> w = await rw.WriteAsync();
                w.Value = 2;
            });
            LeafInfo leaf = await Waiting.UntilParkedAsync(runtime, writer.Id);
            Assert.Equal("rwlock.write", leaf.Kind);

            // Fair: a reader arriving after the waiting writer queues behind it.
            Assert.False(rw.TryRead(out _));
            JoinHandle<int> lateReader = SpindleTask.Spawn(async () =>
            {
                using AsyncRwLockReadGuard<int> r = await rw.ReadAsync();
                return r.Value;
            });
            Assert.Equal("rwlock.read", (await Waiting.UntilParkedAsync(runtime, lateReader.Id)).Kind);

            r1.Dispose();
            Assert.False(writer.IsFinished);
            r2.Dispose();
            await writer;
            Assert.Equal(2, await lateReader);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void WriteAsync_WaitingWriterAborted_QueuedReadersGetIn(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var rw = new AsyncRwLock<string>("v");
            AsyncRwLockReadGuard<string> held = await rw.ReadAsync();
            JoinHandle writer = SpindleTask.Spawn(async () => { using var w = await rw.WriteAsync(); w.Value = "written"; });
            await Waiting.UntilParkedAsync(runtime, writer.Id);
            JoinHandle<string> reader = SpindleTask.Spawn(async () =>
            {
                using AsyncRwLockReadGuard<string> r = await rw.ReadAsync();
                return r.Value;
            });
            await Waiting.UntilParkedAsync(runtime, reader.Id);

            writer.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await writer);
            // The reader no longer has a writer ahead of it, and a reader holds the lock: it gets in now.
            Assert.Equal("v", await reader);
            held.Dispose();
            Assert.True(rw.TryWrite(out AsyncRwLockWriteGuard<string> w));
            w.Dispose();
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Downgrade_LetsQueuedReadersInButNotWriters(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var rw = new AsyncRwLock<int>(0, maxReaders: 4);
            Assert.Equal(4, rw.MaxReaders);
            AsyncRwLockWriteGuard<int> write = await rw.WriteAsync();
            write.Value = 5;
            JoinHandle<int> reader = SpindleTask.Spawn(async () =>
            {
                using AsyncRwLockReadGuard<int> r = await rw.ReadAsync();
                return r.Value;
            });
            await Waiting.UntilParkedAsync(runtime, reader.Id);

            AsyncRwLockReadGuard<int> read = write.Downgrade();
            Assert.Equal(5, await reader);
            Assert.Equal(5, read.Value);
            Assert.Throws<InvalidOperationException>(() => write.Value);
            write.Dispose(); // released by Downgrade: does nothing
            Assert.False(rw.TryWrite(out _));
            read.Dispose();
            Assert.True(rw.TryWrite(out AsyncRwLockWriteGuard<int> again));
            again.Dispose();
        });
    }

    [Fact]
    public void Guards_AfterRelease_ValueThrows_StaleDisposeIsHarmless()
    {
        var rw = new AsyncRwLock<int>(3);
        Assert.True(rw.TryWrite(out AsyncRwLockWriteGuard<int> write));
        AsyncRwLockWriteGuard<int> copy = write;
        write.Dispose();
        Assert.Throws<InvalidOperationException>(() => copy.Value);
        Assert.True(rw.TryRead(out AsyncRwLockReadGuard<int> read));
        copy.Dispose();
        Assert.False(rw.TryWrite(out _));
        read.Dispose();

        // A read guard used after a writer has since held the lock fails loudly.
        Assert.True(rw.TryWrite(out AsyncRwLockWriteGuard<int> w2));
        w2.Dispose();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => read.Value);
        Assert.Contains("AsyncRwLockReadGuard", error.Message, StringComparison.Ordinal);
        read.Dispose();
        Assert.True(rw.TryWrite(out AsyncRwLockWriteGuard<int> w3));
        w3.Dispose();
    }

    [Fact]
    public void ReadGuard_DisposedTwiceWithNoOtherReader_ThrowsAndFreesNothing()
    {
        var rw = new AsyncRwLock<int>(3, maxReaders: 4);
        Assert.True(rw.TryRead(out AsyncRwLockReadGuard<int> read));
        AsyncRwLockReadGuard<int> copy = read;
        read.Dispose();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(copy.Dispose);
        Assert.Contains("more than once", error.Message, StringComparison.Ordinal);
        // No extra permit: a writer still keeps every reader out, and exactly four readers fit.
        Assert.True(rw.TryWrite(out AsyncRwLockWriteGuard<int> write));
        Assert.False(rw.TryRead(out _));
        write.Dispose();
        var readers = new List<AsyncRwLockReadGuard<int>>();
        while (readers.Count < 5 && rw.TryRead(out AsyncRwLockReadGuard<int> r))
        {
            readers.Add(r);
        }

        Assert.Equal(4, readers.Count);
        readers.ForEach(r => r.Dispose());
    }

    [Fact]
    public void Constructor_BadMaxReaders_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncRwLock<int>(0, maxReaders: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncRwLock<int>(0, maxReaders: AsyncRwLock<int>.DefaultMaxReaders + 1));
    }

    [Fact]
    public void BlockingReadWrite_FromPlainThreads_Work_OnRuntimeThread_Throw()
    {
        var rw = new AsyncRwLock<int>(0);
        var threads = new Thread[3];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < 300; i++)
                {
                    using (AsyncRwLockWriteGuard<int> w = rw.BlockingWrite())
                    {
                        w.Value++;
                    }

                    using AsyncRwLockReadGuard<int> r = rw.BlockingRead();
                    Assert.True(r.Value > 0);
                }
            })
            { IsBackground = true };
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(Rt.Bound));
        }

        using (AsyncRwLockReadGuard<int> r = rw.BlockingRead())
        {
            Assert.Equal(900, r.Value);
        }

        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        Assert.Throws<InvalidOperationException>(() => Rt.Run(runtime, () => { rw.BlockingRead(); return Task.CompletedTask; }));
        Assert.Throws<InvalidOperationException>(() => Rt.Run(runtime, () => { rw.BlockingWrite(); return Task.CompletedTask; }));
    }

    [Fact]
    public void ReadAndWrite_Uncontended_AllocateNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var rw = new AsyncRwLock<int>(0);
        long perOp = Allocation.BytesPerStep(runtime, async steps =>
        {
            for (int i = 0; i < steps; i++)
            {
                using (AsyncRwLockWriteGuard<int> w = await rw.WriteAsync())
                {
                    w.Value++;
                }

                using AsyncRwLockReadGuard<int> r = await rw.ReadAsync();
                _ = r.Value;
            }
        });
        Assert.Equal(0, perOp);
    }
}
