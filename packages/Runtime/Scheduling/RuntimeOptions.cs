using System;
using Spindle.Diagnostics;

namespace Spindle.Scheduling;

/// <summary>The settings <see cref="RuntimeBuilder"/> collected, frozen when the runtime is built.</summary>
internal sealed class RuntimeOptions
{
    public RuntimeFlavor Flavor { get; set; }

    public int WorkerThreads { get; set; }

    public string ThreadNamePrefix { get; set; } = "spindle-worker";

    public int ThreadStackSize { get; set; }

    public int EventInterval { get; set; } = 61;

    public int GlobalQueueInterval { get; set; } = 31;

    public int MaxBlockingThreads { get; set; } = 512;

    public TimeSpan BlockingKeepAlive { get; set; } = TimeSpan.FromSeconds(10);

    public bool EnableTime { get; set; } = true;

    public bool EnableIo { get; set; } = true;

    public IO.IoBackend IoBackend { get; set; }

    public bool StartPaused { get; set; }

    public bool EnablePollTimeHistogram { get; set; }

    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a thread that ran out of work spins for a wake-up before it sleeps (<see cref="RuntimeBuilder.SpinBeforePark"/>).</summary>
    public TimeSpan SpinBeforePark { get; set; } = RuntimeBuilder.DefaultSpinBeforePark;

    public bool DumpTasksOnSigquit { get; set; }

    /// <summary>Where a SIGQUIT dump goes; null: standard error.</summary>
    public System.IO.TextWriter? TaskDumpWriter { get; set; }

    public Action<UnobservedTaskExceptionInfo>? UnobservedTaskException { get; set; }

    public RuntimeHooks Hooks { get; set; } = new();

    public RuntimeOptions Clone()
    {
        var copy = (RuntimeOptions)MemberwiseClone();
        copy.Hooks = Hooks.Clone();
        return copy;
    }
}
