using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle;

/// <summary>
/// Receives a process signal as it arrives (tokio's <c>signal::unix::Signal</c>), built on
/// <see cref="PosixSignalRegistration"/>. While a listener exists the signal's default action
/// (e.g. terminating on SIGTERM) is suppressed.
/// </summary>
/// <remarks>
/// <para>Deliveries that arrive while nobody waits are counted and each later
/// <see cref="RecvAsync"/> takes one, so no signal is lost between awaits.</para>
/// <para><b>Cancellation:</b> a cancelled or aborted <see cref="RecvAsync"/> takes no delivery.</para>
/// <para><b>Thread safety:</b> one <see cref="RecvAsync"/> at a time; <see cref="Dispose"/> from anywhere.</para>
/// </remarks>
/// <example>
/// <code>
/// using SignalListener hangup = Signals.Listen(PosixSignal.SIGHUP);
/// while (await hangup.RecvAsync()) { ReloadConfiguration(); }
/// </code>
/// </example>
[UnsupportedOSPlatform("browser")]
[UnsupportedOSPlatform("ios")]
[UnsupportedOSPlatform("tvos")]
public sealed class SignalListener : IDisposable, IValueTaskSource<bool>, ILeaf
{
    private readonly Lock _gate = new();
    private readonly PosixSignalRegistration _registration;
    // Mutable struct: never readonly.
    private LeafWait _wait;
    private int _pending;
    private bool _disposed;

    internal SignalListener(PosixSignal signal)
    {
        Signal = signal;
        _registration = PosixSignalRegistration.Create(signal, OnSignal);
    }

    /// <summary>Gets the signal this listener receives.</summary>
    public PosixSignal Signal { get; }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        lock (_gate)
        {
            _pending++;
        }

        _wait.TryComplete(null);
    }

    /// <summary>Waits for the next delivery of the signal.</summary>
    /// <param name="cancellationToken">Ends the wait early; no delivery is taken.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns><see langword="true"/> for a delivery; <see langword="false"/> once the listener is disposed.</returns>
    public ValueTask<bool> RecvAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        short token;
        lock (_gate)
        {
            if (_pending > 0 || _disposed)
            {
                return new ValueTask<bool>(TakeLocked());
            }

            token = _wait.Begin(this, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
        }

        return new ValueTask<bool>(this, token);
    }

    private bool TakeLocked()
    {
        if (_pending > 0)
        {
            _pending--;
            return true;
        }

        return false;
    }

    /// <summary>Stops listening and restores the signal's default action; a pending receive returns false.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _registration.Dispose();
        _wait.TryComplete(null);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _wait.GetResult(this, token);
        lock (_gate)
        {
            return TakeLocked();
        }
    }

    bool ILeaf.TryCancelWait(Exception error) => _wait.TryComplete(error);

    LeafInfo ILeaf.Describe() => _wait.Describe("signal", Signal.ToString());
}
