using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.IO;

/// <summary>
/// A socket registered with a runtime's I/O driver: the readiness API of DESIGN.md §4 that every
/// Spindle network type is built on (tokio's <c>Registration</c>), public so other libraries can
/// build their own types the same way.
/// </summary>
/// <remarks>
/// <para>
/// Pattern: wait for readiness, try the non-blocking operation, and on "would block" clear the
/// readiness you saw and wait again:
/// </para>
/// <code>
/// while (true)
/// {
///     ReadyEvent ready = await registration.ReadinessAsync(Interest.Readable);
///     int n = socket.Receive(buffer, SocketFlags.None, out SocketError error);
///     if (error != SocketError.WouldBlock) return n;
///     registration.ClearReadiness(ready);
/// }
/// </code>
/// <para>
/// Any number of tasks may wait at once (<see cref="ReadinessAsync"/>); stream-style reads and writes
/// use the two reserved slots through <see cref="RunAsync{TResult}"/>, which allocates nothing.
/// </para>
/// <para>
/// <b>Lifetime:</b> dispose the registration before the socket. Disposing wakes every waiter with
/// <see cref="ObjectDisposedException"/>; runtime shutdown wakes them with an <see cref="System.IO.IOException"/>
/// saying the runtime shut down, and later operations fail the same way.
/// </para>
/// <para><b>Thread safety:</b> every member is thread-safe.</para>
/// </remarks>
public sealed class IoRegistration : IDisposable
{
    private readonly ScheduledIo _io;
    private readonly RuntimeCore _runtime;

    private IoRegistration(RuntimeCore runtime, ScheduledIo io)
    {
        _runtime = runtime;
        _io = io;
    }

    /// <summary>Registers <paramref name="socket"/> with the current runtime's driver and makes it non-blocking.</summary>
    /// <param name="socket">The socket; it stays owned by the caller.</param>
    /// <returns>The registration.</returns>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or the runtime has no I/O driver.</exception>
    /// <exception cref="System.IO.IOException">The runtime has shut down.</exception>
    public static IoRegistration Register(Socket socket) => Register(socket, RuntimeHandle.Current);

    /// <summary>Registers <paramref name="socket"/> with <paramref name="runtime"/>'s driver and makes it non-blocking.</summary>
    /// <param name="socket">The socket; it stays owned by the caller.</param>
    /// <param name="runtime">The runtime whose driver watches the socket.</param>
    /// <returns>The registration.</returns>
    /// <exception cref="InvalidOperationException">The runtime has no I/O driver.</exception>
    /// <exception cref="System.IO.IOException">The runtime has shut down.</exception>
    public static IoRegistration Register(Socket socket, RuntimeHandle runtime) => Register(socket, runtime, null);

    /// <summary>
    /// Registers <paramref name="socket"/> with <paramref name="runtime"/>'s driver under a description
    /// of your choosing (shown in task listings, dumps and error messages), and makes it non-blocking.
    /// </summary>
    /// <param name="socket">The socket; it stays owned by the caller.</param>
    /// <param name="runtime">The runtime whose driver watches the socket.</param>
    /// <param name="description">What the resource is, e.g. <c>"connection to 10.0.0.5:443"</c>; null
    /// describes the socket by its local address. Pass one while a non-blocking connect is in
    /// progress: reading a socket's address then makes .NET poll the socket and lose the connect's outcome.</param>
    /// <returns>The registration.</returns>
    /// <exception cref="InvalidOperationException">The runtime has no I/O driver.</exception>
    /// <exception cref="System.IO.IOException">The runtime has shut down.</exception>
    public static IoRegistration Register(Socket socket, RuntimeHandle runtime, string? description)
    {
        ArgumentNullException.ThrowIfNull(socket);
        RuntimeCore core = runtime.Core;
        IoDriver driver = core.Driver.Io ?? throw ThrowHelper.NoIoDriver();
        socket.Blocking = false;
        return new IoRegistration(core, driver.Register(socket, null, description ?? Describe(socket)));
    }

    internal static IoRegistration RegisterHandle(System.Runtime.InteropServices.SafeHandle handle, RuntimeHandle runtime)
    {
        RuntimeCore core = runtime.Core;
        IoDriver driver = core.Driver.Io ?? throw ThrowHelper.NoIoDriver();
        return new IoRegistration(core, driver.Register(null, handle, $"fd {handle.DangerousGetHandle()}"));
    }

    private static string Describe(Socket socket)
    {
        try
        {
            return $"{socket.ProtocolType} socket {socket.LocalEndPoint?.ToString() ?? "(unbound)"}";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return $"{socket.ProtocolType} socket";
        }
    }

    /// <summary>The runtime whose driver watches the resource.</summary>
    public RuntimeHandle Runtime => new(_runtime);

    /// <summary>The backend the driver uses.</summary>
    public IoBackend Backend => _io.Driver.Backend;

    internal ScheduledIo State => _io;

    /// <summary>
    /// Waits until the resource is ready for <paramref name="interest"/> (at once if it already is).
    /// </summary>
    /// <param name="interest">What to wait for; several flags wait for any of them.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The readiness seen, to pass to <see cref="ClearReadiness"/> after a "would block". It may be
    /// <see cref="Ready.None"/> when another waiter cleared the readiness first: try the operation anyway.</returns>
    /// <exception cref="ObjectDisposedException">The registration was disposed.</exception>
    /// <exception cref="System.IO.IOException">The runtime shut down.</exception>
    /// <remarks><para><b>Cancellation:</b> cancel safe; a cancelled wait leaves the waiter list and consumes nothing.</para></remarks>
    public ValueTask<ReadyEvent> ReadinessAsync(Interest interest, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _io.ReadinessAsync(interest, _io, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>The current readiness for <paramref name="interest"/>, without waiting.</summary>
    /// <param name="interest">What to look at.</param>
    /// <param name="ready">The readiness seen (possibly none).</param>
    /// <returns>Whether any of it is ready.</returns>
    public bool TryGetReadiness(Interest interest, out ReadyEvent ready)
    {
        ready = _io.Snapshot(ScheduledIo.MaskOf(interest));
        return ready.Ready != Ready.None;
    }

    /// <summary>
    /// Clears the readiness an operation found stale ("would block"), unless the driver reported
    /// readiness again since <paramref name="ready"/> was taken. Closed bits are never cleared.
    /// </summary>
    /// <param name="ready">The event the operation acted on.</param>
    public void ClearReadiness(ReadyEvent ready) => _io.ClearReadiness(ready);

    /// <summary>
    /// Runs a stream-style operation in its reserved slot: at once if the resource is ready, otherwise
    /// when the driver reports readiness (see <see cref="IoOperation{TResult}"/>).
    /// </summary>
    /// <typeparam name="TResult">What the operation produces.</typeparam>
    /// <param name="operation">The operation, with its inputs set.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The operation's result; the value task is backed by <paramref name="operation"/>.</returns>
    /// <exception cref="InvalidOperationException">Another operation of the same direction is in flight.</exception>
    /// <remarks><para><b>Cancellation:</b> an operation cancelled while waiting did no I/O; one that already
    /// completed reports its result.</para></remarks>
    public ValueTask<TResult> RunAsync<TResult>(IoOperation<TResult> operation, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return operation.Start(_io, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>
    /// Tries an operation once if the resource is ready for <paramref name="interest"/>; a "would block"
    /// clears that readiness. Never waits.
    /// </summary>
    /// <typeparam name="TState">State for the attempt.</typeparam>
    /// <typeparam name="TResult">What the operation produces.</typeparam>
    /// <param name="interest">The readiness the operation needs.</param>
    /// <param name="state">Passed to <paramref name="attempt"/>.</param>
    /// <param name="attempt">The non-blocking operation.</param>
    /// <param name="result">Its result when it completed.</param>
    /// <returns>True when it completed; false when the resource was not ready or the operation would block.</returns>
    public bool TryIo<TState, TResult>(Interest interest, TState state, IoAttempt<TState, TResult> attempt, out TResult result)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        _io.ThrowIfFailed();
        ReadyEvent ready = _io.Snapshot(ScheduledIo.MaskOf(interest));
        if (ready.Ready != Ready.None)
        {
            if (attempt(state, out result))
            {
                return true;
            }

            _io.ClearReadiness(ready);
        }

        result = default!;
        return false;
    }

    /// <summary>Deregisters the resource; pending and later waits fail with <see cref="ObjectDisposedException"/>. Idempotent.</summary>
    public void Dispose() => _io.Driver.Deregister(_io);

    /// <inheritdoc/>
    public override string ToString() => _io.Description;
}
