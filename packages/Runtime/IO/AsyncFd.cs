using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Sync;

namespace Spindle.IO;

/// <summary>
/// Any Unix file descriptor (a pipe, an eventfd, a tty, a socket from another library) registered
/// with the runtime's I/O driver, so tasks can await its readiness (tokio's <c>AsyncFd</c>).
/// </summary>
/// <remarks>
/// <para>
/// The descriptor must be in non-blocking mode (<c>O_NONBLOCK</c>); <see cref="AsyncFd"/> does not
/// change it. Wait with <see cref="ReadableAsync"/>/<see cref="WritableAsync"/>/<see cref="ReadyAsync"/>,
/// then do the I/O through <see cref="AsyncFdReadyGuard.TryIo{TState, TResult}"/>, which clears the
/// readiness when the call would block:
/// </para>
/// <code>
/// using var fd = new AsyncFd(handle);
/// while (true)
/// {
///     AsyncFdReadyGuard guard = await fd.ReadableAsync();
///     if (guard.TryIo(buffer, static (b, out n) =&gt; TryRead(b, out n), out int read)) return read;
/// }
/// </code>
/// <para>
/// Needs the epoll backend (Linux); on the portable backend registration throws
/// <see cref="NotSupportedException"/>. Dispose deregisters the descriptor (waiters get
/// <see cref="ObjectDisposedException"/>) and, if the <see cref="AsyncFd"/> owns it, closes it.
/// </para>
/// <para><b>Thread safety:</b> every member is thread-safe; any number of tasks may wait at once.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed class AsyncFd : IDisposable, IWaitResult<AsyncFdReadyGuard>
{
    private readonly IoRegistration _registration;
    private readonly bool _ownsHandle;

    /// <summary>Registers <paramref name="handle"/> with the current runtime for reads and writes.</summary>
    /// <param name="handle">A non-blocking descriptor.</param>
    /// <param name="ownsHandle">Whether <see cref="Dispose"/> also closes the handle.</param>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime, or it has no I/O driver.</exception>
    /// <exception cref="NotSupportedException">The runtime uses the portable backend.</exception>
    /// <exception cref="System.IO.IOException">The descriptor cannot be registered (errno in the message).</exception>
    public AsyncFd(SafeHandle handle, bool ownsHandle = true)
        : this(handle, RuntimeHandle.Current, ownsHandle)
    {
    }

    /// <summary>Registers <paramref name="handle"/> with <paramref name="runtime"/>.</summary>
    /// <param name="handle">A non-blocking descriptor.</param>
    /// <param name="runtime">The runtime whose driver watches it.</param>
    /// <param name="ownsHandle">Whether <see cref="Dispose"/> also closes the handle.</param>
    /// <exception cref="ArgumentException">The handle is invalid or closed.</exception>
    /// <exception cref="NotSupportedException">The runtime uses the portable backend.</exception>
    public AsyncFd(SafeHandle handle, RuntimeHandle runtime, bool ownsHandle = true)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsInvalid || handle.IsClosed)
        {
            throw new ArgumentException("The handle is invalid or already closed; pass an open, non-blocking descriptor.", nameof(handle));
        }

        Handle = handle;
        _ownsHandle = ownsHandle;
        _registration = IoRegistration.RegisterHandle(handle, runtime);
    }

    /// <summary>The registered descriptor.</summary>
    public SafeHandle Handle { get; }

    /// <summary>Waits until the descriptor is readable (or its read side closed).</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A guard for the readiness seen.</returns>
    public ValueTask<AsyncFdReadyGuard> ReadableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        ReadyAsync(Interest.Readable, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Waits until the descriptor is writable (or its write side closed).</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A guard for the readiness seen.</returns>
    public ValueTask<AsyncFdReadyGuard> WritableAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        ReadyAsync(Interest.Writable, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Waits until the descriptor is ready for any of <paramref name="interest"/>.</summary>
    /// <param name="interest">What to wait for.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A guard for the readiness seen. Allocation-free: the value task is backed by a pooled waiter.</returns>
    /// <exception cref="ObjectDisposedException">The <see cref="AsyncFd"/> was disposed.</exception>
    /// <exception cref="System.IO.IOException">The runtime shut down.</exception>
    /// <remarks><para><b>Cancellation:</b> cancel safe.</para></remarks>
    public ValueTask<AsyncFdReadyGuard> ReadyAsync(Interest interest, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _registration.State.ReadinessAsync(interest, this, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    AsyncFdReadyGuard IWaitResult<AsyncFdReadyGuard>.Produce(bool acquired, int amount) =>
        new(_registration, _registration.State.Produce(acquired, amount));

    /// <summary>Deregisters the descriptor (waiters get <see cref="ObjectDisposedException"/>) and closes it if owned.</summary>
    public void Dispose()
    {
        _registration.Dispose();
        if (_ownsHandle)
        {
            Handle.Dispose();
        }
    }
}
