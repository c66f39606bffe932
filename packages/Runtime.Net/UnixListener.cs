using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;
using Spindle.Net.Internal;

namespace Spindle.Net;

/// <summary>A listening Unix domain stream socket on a Spindle runtime (tokio's <c>UnixListener</c>).</summary>
/// <remarks>
/// <para>
/// <b>The socket file:</b> binding a filesystem path creates a socket file, and <see cref="Dispose"/>
/// removes it again (the .NET socket underneath deletes the file its own bind created), so a restarted
/// server can bind the same path. A file left by a process that crashed is not removed: <see cref="Bind"/>
/// then fails with <see cref="SocketError.AddressAlreadyInUse"/>; delete the stale file and bind again.
/// Abstract names (<c>'\0'</c> or <c>'@'</c> first, Linux) have no file and vanish with the socket.
/// </para>
/// <para><b>Descriptor exhaustion:</b> as for <see cref="AsyncTcpListener"/>: after <see cref="SocketError.TooManyOpenSockets"/> the next accepts pause on the runtime clock, so a retry loop does not spin.</para>
/// <para><b>Thread safety:</b> every member is thread-safe; any number of tasks may accept at once.</para>
/// </remarks>
public sealed class UnixListener : IDisposable
{
    // 1024: tokio's listener backlog (the kernel caps it at net.core.somaxconn).
    private const int DefaultBacklog = 1024;

    private static readonly IoAttempt<UnixListener, UnixStream> s_accept = static (listener, out stream) => listener.TryAccept(out stream);

    private readonly Socket _socket;
    private readonly IoRegistration _registration;
    private readonly AcceptBackoff _backoff = new();
    private readonly string _path;
    private int _disposed;

    private UnixListener(Socket socket, IoRegistration registration, string path)
    {
        _socket = socket;
        _registration = registration;
        _path = path;
    }

    /// <summary>The path the listener is bound to; an abstract name is shown with a leading <c>'@'</c>.</summary>
    public string Path => _path;

    /// <summary>Binds to <paramref name="path"/>, listens, and registers with the current runtime.</summary>
    /// <param name="path">A filesystem path (the file must not exist), or an abstract name starting with <c>'\0'</c> or <c>'@'</c> (Linux).</param>
    /// <param name="backlog">The length of the queue of connections not yet accepted.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">Not on a Spindle runtime with an I/O driver.</exception>
    /// <exception cref="SocketException">The bind failed, e.g. <see cref="SocketError.AddressAlreadyInUse"/> (the file exists); the message names the path.</exception>
    public static UnixListener Bind(string path, int backlog = DefaultBacklog)
    {
        UnixDomainSocketEndPoint endPoint = UnixPaths.ToEndPoint(path, nameof(path));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            try
            {
                socket.Bind(endPoint);
                socket.Listen(backlog);
            }
            catch (SocketException e)
            {
                throw NetErrors.Create(e.SocketErrorCode, "bind to", endPoint);
            }

            return new UnixListener(socket, IoRegistration.Register(socket), endPoint.ToString());
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the next connection and returns it, registered with the listener's runtime.</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The accepted connection.</returns>
    /// <exception cref="ObjectDisposedException">The listener was disposed (also while waiting).</exception>
    /// <exception cref="SocketException">The accept failed; <see cref="SocketError.TooManyOpenSockets"/> means back off.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel safe: a cancelled accept took no connection.</para>
    /// <para><b>Thread safety:</b> any number of tasks may await it at once; each connection goes to exactly one of them.</para>
    /// </remarks>
    public ValueTask<UnixStream> AcceptAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_backoff.TryGetPause(out Time.Instant until))
        {
            // Out of descriptors last time: pause on the runtime clock instead of letting a retry loop spin.
            return AcceptBackoff.AfterPauseAsync(until, ct => SharedIo.RunAsync(_registration, Interest.Readable, this, s_accept, callerFilePath, callerLineNumber, callerMemberName, ct), cancellationToken);
        }

        return SharedIo.RunAsync(_registration, Interest.Readable, this, s_accept, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Deregisters the socket (pending accepts fail with <see cref="ObjectDisposedException"/>), then closes it, removing the socket file its bind created. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _registration.Dispose();
        _socket.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"UnixListener {_path}";

    private bool TryAccept(out UnixStream stream)
    {
        if (!_backoff.TryAccept(_socket, out Socket accepted))
        {
            stream = null!;
            return false;
        }

        stream = UnixStream.Adopt(accepted, _registration.Runtime);
        return true;
    }
}
