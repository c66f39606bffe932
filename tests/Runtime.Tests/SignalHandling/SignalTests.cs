using System.Diagnostics;
using System.Runtime.InteropServices;
using SpindleTests.Support;

namespace SpindleTests.SignalHandling;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SignalTests
{
    private static void Raise(string name)
    {
        using Process kill = Process.Start("kill", $"-{name} {Environment.ProcessId}")!;
        Assert.True(kill.WaitForExit(Rt.Bound));
        Assert.Equal(0, kill.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Listen_SignalRaised_RecvReturnsTrue_EveryDeliveryCounted(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            using SignalListener listener = Spindle.Signals.Listen(PosixSignal.SIGWINCH);
            Raise("WINCH");
            Assert.True(await listener.RecvAsync().AsTask().WaitAsync(Rt.Bound));
            Raise("WINCH");
            Assert.True(await listener.RecvAsync().AsTask().WaitAsync(Rt.Bound));
        });
    }

    [Fact]
    public void Dispose_PendingRecv_ReturnsFalse()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        Rt.Run(runtime, async () =>
        {
            var listener = Spindle.Signals.Listen(PosixSignal.SIGWINCH);
            ValueTask<bool> pending = listener.RecvAsync();
            listener.Dispose();
            Assert.False(await pending);
            Assert.False(await listener.RecvAsync());
        });
    }

    [Fact]
    public void CtrlC_Cancelled_ThrowsAndUnregisters()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        Rt.Run(runtime, async () =>
        {
            using var cts = new CancellationTokenSource();
            ValueTask waiting = Spindle.Signals.CtrlCAsync(cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        });
    }
}
