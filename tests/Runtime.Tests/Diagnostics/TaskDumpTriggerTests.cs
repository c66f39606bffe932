using System.Diagnostics;
using SpindleTests.Support;

namespace SpindleTests.Diagnostics;

/// <summary>The SIGQUIT trigger: a dump is written and the process keeps running.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TaskDumpTriggerTests
{
    /// <summary>A writer the signal thread writes and the test reads.</summary>
    private sealed class SharedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public SharedWriter()
            : base(System.Globalization.CultureInfo.InvariantCulture)
        {
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public string Snapshot()
        {
            lock (_gate)
            {
                return ToString();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpTasksOnSigquit_SignalRaised_WritesADumpAndKeepsRunning(RuntimeFlavor flavor)
    {
        using var writer = new SharedWriter();
        using Runtime runtime = Rt.Build(flavor, configure: b => b.DumpTasksOnSigquit(writer));
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle task = RuntimeHandle.Current.Spawn(async () => await notify.NotifiedAsync(), name: "sigquit-waiter");
            await Waiting.UntilParkedAsync(runtime, task.Id);

            using (Process kill = Process.Start("kill", $"-QUIT {Environment.ProcessId}")!)
            {
                Assert.True(kill.WaitForExit(Rt.Bound));
                Assert.Equal(0, kill.ExitCode);
            }

            await Waiting.UntilAsync(() => writer.Snapshot().Contains("\"sigquit-waiter\" Idle", StringComparison.Ordinal));
            Assert.Contains("waiting on notify", writer.Snapshot(), StringComparison.Ordinal);

            notify.NotifyOne();
            await task;
        });
    }
}
