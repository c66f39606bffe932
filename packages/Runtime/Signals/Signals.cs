using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle;

/// <summary>Process signals as awaitables (tokio's <c>tokio::signal</c>).</summary>
[UnsupportedOSPlatform("browser")]
[UnsupportedOSPlatform("ios")]
[UnsupportedOSPlatform("tvos")]
public static class Signals
{
    /// <summary>Starts receiving <paramref name="signal"/>; deliveries are counted from now on.</summary>
    /// <param name="signal">The signal, e.g. <see cref="PosixSignal.SIGHUP"/>; on Unix any raw signal number cast to <see cref="PosixSignal"/> works too.</param>
    /// <returns>The listener; dispose it to restore the default action.</returns>
    /// <exception cref="PlatformNotSupportedException">The signal is not supported on this platform.</exception>
    public static SignalListener Listen(PosixSignal signal) => new(signal);

    /// <summary>Waits for the next Ctrl+C (SIGINT), suppressing the default termination for that press.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A task that completes at the next Ctrl+C.</returns>
    /// <remarks><para><b>Cancellation:</b> the handler is removed; later presses terminate the process as usual.</para></remarks>
    public static async ValueTask CtrlCAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        using SignalListener listener = Listen(PosixSignal.SIGINT);
        await listener.RecvAsync(cancellationToken, callerFilePath, callerLineNumber, callerMemberName);
    }
}
