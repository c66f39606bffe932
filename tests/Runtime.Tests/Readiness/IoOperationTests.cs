using System.Net.Sockets;
using System.Reflection;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Spindle.Internal;
using Spindle.IO;
using SpindleTests.Support;

namespace SpindleTests.Readiness;

/// <summary>Stream-style operations in the reserved slots, and AsyncFd.</summary>
public sealed class IoOperationTests
{
    /// <summary>A read of a socket, as Spindle.Net's streams do it.</summary>
    private sealed class Receive(Socket socket) : IoOperation<int>(Interest.Readable)
    {
        public Memory<byte> Buffer { get; set; }

        public int Attempts { get; private set; }

        protected override bool TryExecute(out int result)
        {
            Attempts++;
            result = socket.Receive(Buffer.Span, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return false;
            }

            return error == SocketError.Success ? true : throw new SocketException((int)error);
        }
    }

    [Theory]
    [MemberData(nameof(RegistrationTests.Matrix), MemberType = typeof(RegistrationTests))]
    public void PendingRead_CompletesWhenDataArrives_AndTheSlotIsReusable(RuntimeFlavor flavor, IoBackend backend)
    {
        RunWithRead(flavor, backend, async (runtime, pair, registration, read) =>
        {
            for (int round = 0; round < 3; round++)
            {
                JoinHandle<int> reader = await StartParkedReadAsync(runtime, registration, read);
                Assert.True(read.IsRunning);
                pair.Peer.Send(new byte[round + 1]);
                Assert.Equal(round + 1, await reader);
                Assert.False(read.IsRunning);
            }
        });
    }

    [Theory]
    [MemberData(nameof(RegistrationTests.Matrix), MemberType = typeof(RegistrationTests))]
    public void SecondReadInTheSameSlot_Fails_AndAbortFreesTheSlot(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = Rt.Build(flavor, configure: b => b.IoBackend(backend));
        using var pair = SocketPair.Tcp();
        Rt.Run(runtime, async () =>
        {
            using var registration = IoRegistration.Register(pair.Local);
            var first = new Receive(pair.Local) { Buffer = new byte[16] };
            var second = new Receive(pair.Local) { Buffer = new byte[16] };
            JoinHandle<int> reader = await StartParkedReadAsync(runtime, registration, first);

            var busy = await Assert.ThrowsAsync<InvalidOperationException>(async () => await registration.RunAsync(second));
            Assert.Contains("already in progress", busy.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => registration.RunAsync(first));

            reader.Abort();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader);

            // The aborted read did no I/O: the data goes to the next read.
            JoinHandle<int> next = await StartParkedReadAsync(runtime, registration, second);
            pair.Peer.Send(new byte[] { 1, 2, 3 });
            Assert.Equal(3, await next);
        });
    }

    [Theory]
    [MemberData(nameof(RegistrationTests.Matrix), MemberType = typeof(RegistrationTests))]
    public void CancelledRead_ThrowsAndLeavesTheDataForTheNextRead(RuntimeFlavor flavor, IoBackend backend)
    {
        RunWithRead(flavor, backend, async (runtime, pair, registration, read) =>
        {
            using var cts = new CancellationTokenSource();
            JoinHandle<int> reader = SpindleTask.Spawn(async () => await registration.RunAsync(read, cts.Token));
            await Waiting.UntilParkedOnAsync(runtime, reader.Id, "io read");
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader);

            pair.Peer.Send(new byte[] { 9 });
            read.Buffer = new byte[16];
            Assert.Equal(1, await registration.RunAsync(read));
        });
    }

    [Theory]
    [MemberData(nameof(RegistrationTests.Matrix), MemberType = typeof(RegistrationTests))]
    public void Dispose_FailsAnArmedRead(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = Rt.Build(flavor, configure: b => b.IoBackend(backend));
        using var pair = SocketPair.Tcp();
        Rt.Run(runtime, async () =>
        {
            var registration = IoRegistration.Register(pair.Local);
            var read = new Receive(pair.Local) { Buffer = new byte[16] };
            JoinHandle<int> reader = await StartParkedReadAsync(runtime, registration, read);
            registration.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await reader);
        });
    }

    [Theory]
    [MemberData(nameof(RegistrationTests.Matrix), MemberType = typeof(RegistrationTests))]
    public void StaleCancellation_OfAnEndedWait_ReachesNeitherTheNextWaitNorItsSlot(RuntimeFlavor flavor, IoBackend backend)
    {
        // An abort or a timeout scope reads the version of the task's wait, then cancels by it. One that
        // read it just before the wait ended must not end the task's next wait on the same operation.
        RunWithRead(flavor, backend, async (runtime, pair, registration, read) =>
        {
            JoinHandle<int> first = await StartParkedReadAsync(runtime, registration, read);
            short ended = WaitVersion(read);
            ScheduledIo io = SlotsOf(read);
            pair.Peer.Send(new byte[1]);
            Assert.Equal(1, await Rt.Within(first.AsTask()));

            // The stale canceller acts between the two waits (its request is recorded for the ended wait)...
            Assert.False(io.TryDisarm(read, ended, new TimeoutException("stale, between the waits")));
            JoinHandle<int> second = await StartParkedReadAsync(runtime, registration, read);
            // ...or once the next wait is armed: neither ends it, and it stays in its slot.
            Assert.False(io.TryDisarm(read, ended, new TimeoutException("stale, while armed")));
            Assert.True(read.IsRunning);
            pair.Peer.Send(new byte[2]);
            Assert.Equal(2, await Rt.Within(second.AsTask()));

            // A cancellation of the current wait still ends it.
            JoinHandle<int> third = await StartParkedReadAsync(runtime, registration, read);
            third.Abort();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Rt.Within(third.AsTask()));
            Assert.False(read.IsRunning);
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a runtime of <paramref name="flavor"/> with <paramref name="backend"/>,
    /// given a connected socket pair, its local end's registration and a read of that end.
    /// </summary>
    private static void RunWithRead(RuntimeFlavor flavor, IoBackend backend, Func<Runtime, SocketPair, IoRegistration, Receive, Task> body)
    {
        using Runtime runtime = Rt.Build(flavor, configure: b => b.IoBackend(backend));
        using var pair = SocketPair.Tcp();
        Rt.Run(runtime, async () =>
        {
            using var registration = IoRegistration.Register(pair.Local);
            await body(runtime, pair, registration, new Receive(pair.Local) { Buffer = new byte[16] });
        });
    }

    /// <summary>Spawns a task running <paramref name="read"/> and returns once it waits in its slot.</summary>
    private static async Task<JoinHandle<int>> StartParkedReadAsync(Runtime runtime, IoRegistration registration, Receive read)
    {
        JoinHandle<int> reader = SpindleTask.Spawn(async () => await registration.RunAsync(read));
        await Waiting.UntilParkedOnAsync(runtime, reader.Id, "io read");
        return reader;
    }

    private static short WaitVersion(Receive read) =>
        ((LeafWait)typeof(IoOperation<int>).GetField("_wait", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(read)!).Version;

    private static ScheduledIo SlotsOf(Receive read) =>
        (ScheduledIo)typeof(IoOperation<int>).GetField("_io", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(read)!;

    [Fact]
    public void Operation_RejectsADirectionThatIsNotOneSlot()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BadDirection());
        Assert.Equal("direction", error.ParamName);
    }

    private sealed class BadDirection() : IoOperation<int>(Interest.Readable | Interest.Writable)
    {
        protected override bool TryExecute(out int result) => throw new InvalidOperationException("never runs");
    }

    [Fact]
    public void SteadyStateReadsAndWaits_AllocateNothing()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, configure: b => b.IoBackend(IoBackend.Epoll));
        using var pair = SocketPair.Tcp();
        IoRegistration registration = null!;
        Rt.Run(runtime, () =>
        {
            registration = IoRegistration.Register(pair.Local);
            return Task.CompletedTask;
        });
        var read = new Receive(pair.Local) { Buffer = new byte[1] };
        byte[] one = new byte[1];
        long total = 0;
        long stepsRun = 0;
        long bytes = Allocation.BytesPerStep(runtime, async steps =>
        {
            stepsRun += steps;
            for (int i = 0; i < steps; i++)
            {
                // Armed first (the previous read left nothing), then the data arrives: the wait path.
                read.Buffer = one;
                ValueTask<int> pending = registration.RunAsync(read);
                Assert.False(pending.IsCompleted);
                pair.Peer.Send(one);
                // (xunit's Assert.Equal allocates a comparer per call: count instead.)
                total += await pending;
                ReadyEvent ready = await registration.ReadinessAsync(Interest.Writable);
                Assert.True(ready.IsWritable);
            }
        });
        Assert.Equal(0, bytes);
        // Every read got its one byte.
        Assert.Equal(stepsRun, total);
        registration.Dispose();
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void AsyncFd_WaitsForReadability_AndTryIoClearsOnWouldBlock()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        using var pair = SocketPair.Tcp();
        pair.Local.Blocking = false;
        var handle = new SafeFileHandle(pair.Local.Handle, ownsHandle: false);
        Rt.Run(runtime, async () =>
        {
            using var fd = new AsyncFd(handle, ownsHandle: false);
            byte[] buffer = new byte[8];
            AsyncFdReadyGuard guard = await fd.ReadableAsync();
            Assert.False(guard.TryIo(pair, (p, out n) => (n = p.TryReceiveLocal(buffer)) >= 0, out int _));

            JoinHandle<int> reader = SpindleTask.Spawn(async () =>
            {
                while (true)
                {
                    AsyncFdReadyGuard ready = await fd.ReadableAsync();
                    if (ready.TryIo(pair, (p, out n) => (n = p.TryReceiveLocal(buffer)) >= 0, out int read))
                    {
                        return read;
                    }
                }
            });
            await Waiting.UntilParkedOnAsync(runtime, reader.Id, "io readiness");
            pair.Peer.Send(new byte[] { 1, 2 });
            Assert.Equal(2, await reader);
            Assert.True((await fd.WritableAsync()).Event.IsWritable);
        });
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void AsyncFd_OnThePortableBackend_SaysItNeedsEpoll()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, configure: b => b.IoBackend(IoBackend.Portable));
        using var pair = SocketPair.Tcp();
        var handle = new SafeFileHandle(pair.Local.Handle, ownsHandle: false);
        var error = Assert.Throws<NotSupportedException>(() => new AsyncFd(handle, runtime.Handle, ownsHandle: false));
        Assert.Contains("Epoll", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, runtime.Core().Driver.Io!.RegistrationCount);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void AsyncFd_RejectsAClosedHandle()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var handle = new SafeFileHandle(IntPtr.Zero, ownsHandle: false);
        handle.Dispose();
        Assert.Throws<ArgumentException>(() => new AsyncFd(handle, runtime.Handle));
    }
}
