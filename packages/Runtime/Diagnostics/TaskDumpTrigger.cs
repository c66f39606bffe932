using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Spindle.Scheduling;

namespace Spindle.Diagnostics;

/// <summary>
/// Writes a task dump of one runtime whenever the process receives SIGQUIT
/// (<see cref="RuntimeBuilder.DumpTasksOnSigquit"/>). The dump is taken on the signal-handling
/// thread, never on a worker, so a wedged runtime can still be dumped.
/// </summary>
internal sealed class TaskDumpTrigger : IDisposable
{
    private readonly RuntimeCore _core;
    private readonly TextWriter? _writer;
    private readonly Lock _gate = new();
    private PosixSignalRegistration? _registration;

    public TaskDumpTrigger(RuntimeCore core, TextWriter? writer)
    {
        _core = core;
        _writer = writer;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: a dump request is not a termination request.
        context.Cancel = true;
        lock (_gate)
        {
            if (_registration is null)
            {
                return;
            }

            try
            {
                TextWriter writer = _writer ?? Console.Error;
                writer.Write(TaskDumper.Take(_core).ToString());
                writer.Flush();
            }
#pragma warning disable CA1031 // A failing writer (closed file, full disk) must not take down the process on a diagnostic request.
            catch (Exception error)
#pragma warning restore CA1031
            {
                Console.Error.WriteLine($"spindle: task dump on SIGQUIT failed: {error.Message}");
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _registration?.Dispose();
            _registration = null;
        }
    }
}
