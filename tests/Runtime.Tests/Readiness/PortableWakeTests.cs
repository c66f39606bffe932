using Spindle.IO;
using SpindleTests.Support;

namespace SpindleTests.Readiness;

/// <summary>The portable driver's wake datagram: a wake is never lost, however it overlaps a poll's drain.</summary>
public sealed class PortableWakeTests
{
    [Fact]
    public void Wake_OverlappingThePollsDrain_NeverStopsLaterWakes()
    {
        IoDriver driver = IoDriver.Create(IoBackend.Portable);
        long polls = 0;
        bool stop = false;
        // Background threads: if a wake is lost the poller blocks for good and must not hold the test host.
        var poller = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                driver.Poll(Timeout.Infinite);
                Interlocked.Increment(ref polls);
            }
        })
        { IsBackground = true };
        var waker = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                driver.Wake();
            }
        })
        { IsBackground = true };
        poller.Start();
        waker.Start();
        try
        {
            // Each wake that lands while a poll drains its datagram must still end a later poll:
            // the drain used to clear the in-flight flag first and could then read the datagram of a
            // wake made after that, leaving the flag set with nothing in flight (no wake ever again).
            long target = 20_000;
            bool progressed = SpinWait.SpinUntil(() => Interlocked.Read(ref polls) >= target, Rt.Bound);
            Assert.True(progressed, $"The poll stopped returning after {Interlocked.Read(ref polls)} rounds while wakes kept coming: a wake was lost.");
        }
        finally
        {
            Volatile.Write(ref stop, true);
            Assert.True(waker.Join(Rt.Bound));
            driver.Wake();
            poller.Join(Rt.Bound);
            driver.Dispose();
        }
    }
}
