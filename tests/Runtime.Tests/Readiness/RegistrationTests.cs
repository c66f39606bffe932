using System.Net.Sockets;
using Spindle.IO;
using SpindleTests.Support;

namespace SpindleTests.Readiness;

/// <summary>Registrations on real loopback sockets, on both schedulers and both backends.</summary>
public sealed class RegistrationTests
{
    public static TheoryData<RuntimeFlavor, IoBackend> Matrix => new()
    {
        { RuntimeFlavor.CurrentThread, IoBackend.Epoll },
        { RuntimeFlavor.MultiThread, IoBackend.Epoll },
        { RuntimeFlavor.CurrentThread, IoBackend.Portable },
        { RuntimeFlavor.MultiThread, IoBackend.Portable },
    };

    private static Runtime Build(RuntimeFlavor flavor, IoBackend backend) => Rt.Build(flavor, configure: b => b.IoBackend(backend));

    /// <summary>Drains <paramref name="pair"/>'s local end and clears its readiness, so the next wait really waits.</summary>
    /// <remarks>
    /// A clear is refused when the driver reported anything for the socket since the readiness was
    /// read (the tick rule; e.g. the first writable edge on the multi-thread runtime), so it loops until
    /// the readable bit is really gone.
    /// </remarks>
    private static void DrainAndClear(SocketPair pair, IoRegistration registration)
    {
        byte[] buffer = new byte[4096];
        DateTime deadline = DateTime.UtcNow + Rt.Bound;
        while (registration.TryGetReadiness(Interest.Readable, out _))
        {
            registration.TryIo<SocketPair, int>(Interest.Readable, pair, (p, out n) => (n = p.TryReceiveLocal(buffer)) >= 0, out _);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the readable bit could not be cleared");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void SeveralWaiters_OnOneSocket_AllWake(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = Build(flavor, backend);
        using var pair = SocketPair.Tcp();
        Rt.Run(runtime, async () =>
        {
            using var registration = IoRegistration.Register(pair.Local);
            DrainAndClear(pair, registration);
            var waiters = new List<JoinHandle<ReadyEvent>>();
            for (int i = 0; i < 3; i++)
            {
                waiters.Add(SpindleTask.Spawn(async () => await registration.ReadinessAsync(Interest.Readable)));
            }

            foreach (JoinHandle<ReadyEvent> waiter in waiters)
            {
                await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "io readiness");
            }

            pair.Peer.Send(new byte[] { 1 });
            foreach (JoinHandle<ReadyEvent> waiter in waiters)
            {
                Assert.True((await waiter).IsReadable);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void CancelledAndAbortedWaits_LeaveTheWaiterList_AndTheSocketStaysUsable(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = Build(flavor, backend);
        using var pair = SocketPair.Tcp();
        Rt.Run(runtime, async () =>
        {
            using var registration = IoRegistration.Register(pair.Local);
            DrainAndClear(pair, registration);
            using var cts = new CancellationTokenSource();
            JoinHandle cancelled = SpindleTask.Spawn(async () => await registration.ReadinessAsync(Interest.Readable, cts.Token));
            JoinHandle aborted = SpindleTask.Spawn(async () => await registration.ReadinessAsync(Interest.Readable));
            await Waiting.UntilParkedOnAsync(runtime, cancelled.Id, "io readiness");
            await Waiting.UntilParkedOnAsync(runtime, aborted.Id, "io readiness");
            Assert.Equal(2, registration.State.WaiterCount);

            await cts.CancelAsync();
            aborted.Abort();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await aborted);
            Assert.Equal(0, registration.State.WaiterCount);

            // A new wait still works.
            JoinHandle<ReadyEvent> next = SpindleTask.Spawn(async () => await registration.ReadinessAsync(Interest.Readable));
            await Waiting.UntilParkedOnAsync(runtime, next.Id, "io readiness");
            pair.Peer.Send(new byte[] { 7 });
            Assert.True((await next).IsReadable);
        });
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Dispose_WakesWaiters_WithObjectDisposed_AndLaterWaitsFailTheSameWay(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = Build(flavor, backend);
        using var pair = SocketPair.Tcp();
        Rt.Run(runtime, async () =>
        {
            var registration = IoRegistration.Register(pair.Local);
            DrainAndClear(pair, registration);
            JoinHandle<ReadyEvent> waiter = SpindleTask.Spawn(async () => await registration.ReadinessAsync(Interest.Readable));
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "io readiness");
            registration.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiter);
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await registration.ReadinessAsync(Interest.Writable));
            Assert.Equal(0, runtime.Core().Driver.Io!.RegistrationCount);
            registration.Dispose(); // idempotent
        });
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void RuntimeShutdown_WakesWaitersOutsideTasks_WithAClearError(RuntimeFlavor flavor, IoBackend backend)
    {
        Runtime runtime = Build(flavor, backend);
        using var pair = SocketPair.Tcp();
        var registration = IoRegistration.Register(pair.Local, runtime.Handle);
        DrainAndClear(pair, registration);

        // A wait from a thread outside the runtime: only shutdown can end it.
        Task<ReadyEvent> outside = registration.ReadinessAsync(Interest.Readable).AsTask();
        Assert.False(outside.IsCompleted);
        runtime.Dispose();

        IOException error = Assert.Throws<IOException>(() => outside.WaitAsync(Rt.Bound).GetAwaiter().GetResult());
        Assert.Contains("shut down", error.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => registration.ReadinessAsync(Interest.Writable));
        Assert.Throws<IOException>(() => IoRegistration.Register(pair.Peer, runtime.Handle));
        registration.Dispose();
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void ManyRegistrations_WakeIndependently(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = Build(flavor, backend);
        var pairs = Enumerable.Range(0, 32).Select(_ => SocketPair.Tcp()).ToArray();
        try
        {
            Rt.Run(runtime, async () =>
            {
                var readers = new List<JoinHandle<int>>();
                foreach (SocketPair pair in pairs)
                {
                    readers.Add(SpindleTask.Spawn(async () =>
                    {
                        using var registration = IoRegistration.Register(pair.Local);
                        byte[] buffer = new byte[8];
                        while (true)
                        {
                            ReadyEvent ready = await registration.ReadinessAsync(Interest.Readable);
                            int n = pair.TryReceiveLocal(buffer);
                            if (n >= 0)
                            {
                                return (int)buffer[0];
                            }

                            registration.ClearReadiness(ready);
                        }
                    }));
                }

                // Send in reverse order: each reader gets its own byte whatever the wake order.
                for (int i = pairs.Length - 1; i >= 0; i--)
                {
                    pairs[i].Peer.Send(new[] { (byte)i });
                }

                for (int i = 0; i < pairs.Length; i++)
                {
                    Assert.Equal(i, await readers[i]);
                }
            });
        }
        finally
        {
            foreach (SocketPair pair in pairs)
            {
                pair.Dispose();
            }
        }
    }

    [Fact]
    public void Register_WithoutIoDriver_SaysHowToEnableIt()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, configure: b => b.EnableIo(false));
        using var pair = SocketPair.Tcp();
        var error = Assert.Throws<InvalidOperationException>(() => IoRegistration.Register(pair.Local, runtime.Handle));
        Assert.Contains("EnableIo", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_RejectsAnUndefinedBackend()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeBuilder.CreateCurrentThread().IoBackend((IoBackend)42));
        Assert.Equal("backend", error.ParamName);
    }

    [Fact]
    public void Register_NullSocket_Throws()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        Assert.Throws<ArgumentNullException>(() => IoRegistration.Register((Socket)null!, runtime.Handle));
    }
}
