using System.Diagnostics;
using Spindle.IO;
using SpindleTests.Support;

namespace SpindleTests.Readiness;

/// <summary>
/// Disposing the I/O driver while a thread is still inside it (a worker that shutdown stopped
/// waiting for): the OS resources outlive that thread's use, and nothing throws on it.
/// </summary>
public sealed class DriverDisposeTests
{
    public static TheoryData<IoBackend> Backends => new() { IoBackend.Epoll, IoBackend.Portable };

    [Theory]
    [MemberData(nameof(Backends))]
    public void Dispose_UnderABlockedPoll_WakesIt_AndReleasesOnceItReturns(IoBackend backend)
    {
        IoDriver driver = IoDriver.Create(backend);
        Exception? failure = null;
        int? polled = null;
        var poller = new Thread(() =>
        {
            try
            {
                polled = driver.Poll(Timeout.Infinite);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        poller.Start();
        WaitUntil(() => driver.ActiveUses == 1 && (driver is not PortableIoDriver portable || portable.IsPolling), "the poll to start");

        driver.Dispose();

        Assert.True(poller.Join(Rt.Bound), "The blocked poll did not return after Dispose.");
        Assert.Null(failure);
        Assert.Equal(0, polled);
        Assert.Equal(0, driver.ActiveUses);
        Assert.True(driver.IsReleased);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Dispose_WithAUseInside_KeepsTheResourcesUntilItLeaves(IoBackend backend)
    {
        IoDriver driver = IoDriver.Create(backend);
        Assert.True(driver.TryEnterUse());

        driver.Dispose();

        Assert.False(driver.IsReleased);
        Assert.False(driver.TryEnterUse());
        driver.ExitUse();
        Assert.True(driver.IsReleased);
        Assert.Equal(0, driver.ActiveUses);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void WakeAndPoll_AfterDispose_DoNothing(IoBackend backend)
    {
        IoDriver driver = IoDriver.Create(backend);
        driver.Dispose();

        driver.Wake();
        Assert.Equal(0, driver.Poll(0));
        driver.Dispose();
        Assert.True(driver.IsReleased);
        Assert.Equal(0, driver.ActiveUses);
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var elapsed = Stopwatch.StartNew();
        var spinner = default(SpinWait);
        while (!condition())
        {
            Assert.True(elapsed.Elapsed < Rt.Bound, $"Timed out waiting for {what}.");
            spinner.SpinOnce();
        }
    }
}
