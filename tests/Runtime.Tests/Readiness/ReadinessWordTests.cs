using Spindle.IO;
using SpindleTests.Support;

namespace SpindleTests.Readiness;

/// <summary>
/// DESIGN.md §4's readiness word, driven directly (no OS events), so each rule is checked
/// deterministically: the tick rule, closed bits, interest filtering of wake-ups.
/// </summary>
public sealed class ReadinessWordTests
{
    private static (Runtime Runtime, SocketPair Pair, IoRegistration Registration) Setup()
    {
        Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        var pair = SocketPair.Tcp();
        var registration = IoRegistration.Register(pair.Local, runtime.Handle);
        return (runtime, pair, registration);
    }

    [Fact]
    public void ClearReadiness_KeepsReadiness_ThatArrivedAfterTheWakeUp()
    {
        (Runtime runtime, SocketPair pair, IoRegistration registration) = Setup();
        using (runtime)
        using (pair)
        using (registration)
        {
            ScheduledIo io = registration.State;
            io.SetReadiness(Ready.Readable, tick: 1);
            Assert.True(registration.TryGetReadiness(Interest.Readable, out ReadyEvent seen));

            // The driver reports readiness again (new tick) between the waiter's wake-up and its clear.
            io.SetReadiness(Ready.Readable, tick: 2);
            registration.ClearReadiness(seen);
            Assert.True(registration.TryGetReadiness(Interest.Readable, out ReadyEvent fresh), "readiness set after the wake-up was lost");

            // Clearing with the current tick does clear.
            registration.ClearReadiness(fresh);
            Assert.False(registration.TryGetReadiness(Interest.Readable, out _));
        }
    }

    [Fact]
    public void ClosedBits_SurviveEveryClear()
    {
        (Runtime runtime, SocketPair pair, IoRegistration registration) = Setup();
        using (runtime)
        using (pair)
        using (registration)
        {
            registration.State.SetReadiness(Ready.Readable | Ready.ReadClosed, tick: 3);
            Assert.True(registration.TryGetReadiness(Interest.Readable, out ReadyEvent seen));
            Assert.True(seen.IsReadClosed);
            registration.ClearReadiness(seen);
            Assert.True(registration.TryGetReadiness(Interest.Readable, out ReadyEvent after));
            Assert.Equal(Ready.ReadClosed, after.Ready);
        }
    }

    [Fact]
    public void Waiters_AreWokenOnlyByReadinessTheyAskedFor()
    {
        (Runtime runtime, SocketPair pair, IoRegistration registration) = Setup();
        using (runtime)
        using (pair)
        using (registration)
        {
            ScheduledIo io = registration.State;
            Rt.Run(runtime, async () =>
            {
                // Start from "nothing ready" so both waits queue.
                Assert.True(registration.TryGetReadiness(Interest.Readable | Interest.Writable, out ReadyEvent initial));
                registration.ClearReadiness(initial);
                ValueTask<ReadyEvent> reader = registration.ReadinessAsync(Interest.Readable);
                ValueTask<ReadyEvent> writer = registration.ReadinessAsync(Interest.Writable);
                Assert.Equal(2, io.WaiterCount);

                io.SetReadiness(Ready.Writable, tick: 5);
                Assert.True(writer.IsCompleted);
                Assert.False(reader.IsCompleted);
                ReadyEvent w = await writer;
                Assert.True(w.IsWritable);

                io.SetReadiness(Ready.ReadClosed, tick: 6);
                ReadyEvent r = await reader;
                Assert.True(r.IsReadClosed);
                Assert.True(r.IsReadable);
                Assert.Equal(0, io.WaiterCount);
            });
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void EpollFlags_MapToReadyBits_AsMioDoes()
    {
        Assert.Equal(Ready.Readable, EpollDriver.ToReady(0x001));
        Assert.Equal(Ready.Writable, EpollDriver.ToReady(0x004));
        Assert.Equal(Ready.Readable | Ready.ReadClosed, EpollDriver.ToReady(0x001 | 0x2000));
        Assert.Equal(Ready.ReadClosed | Ready.WriteClosed, EpollDriver.ToReady(0x010));
        Assert.Equal(Ready.WriteClosed | Ready.Error, EpollDriver.ToReady(0x008));
        Assert.Equal(Ready.Readable | Ready.Priority, EpollDriver.ToReady(0x002));
    }

    [Fact]
    public void ReadyEvent_HasValueSemantics()
    {
        var a = new ReadyEvent(Ready.Readable, 1);
        Assert.Equal(a, new ReadyEvent(Ready.Readable, 1));
        Assert.NotEqual(a, new ReadyEvent(Ready.Readable, 2));
        Assert.True(a == new ReadyEvent(Ready.Readable, 1));
        Assert.Contains("Readable", a.ToString(), StringComparison.Ordinal);
    }
}
