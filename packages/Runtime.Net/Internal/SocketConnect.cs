using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;

namespace Spindle.Net.Internal;

/// <summary>
/// Non-blocking connect shared by TCP and Unix streams: start the connect, wait until the socket is
/// writable, then read <c>SO_ERROR</c> to learn whether it succeeded.
/// </summary>
internal static class SocketConnect
{
    /// <summary>Registers <paramref name="socket"/> and connects it. On failure the registration is disposed; the socket stays the caller's.</summary>
    public static async ValueTask<IoRegistration> ConnectAsync(Socket socket, EndPoint endPoint, RuntimeHandle runtime,
        string? file, int line, string? member, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // Start the handshake before registering: Linux reports a socket that is not connected yet
        // as hung up (EPOLLHUP), and hang-up sets the closed bits, which are never cleared; a
        // registration made first could catch that edge and see every later read as "closed".
        socket.Blocking = false;
        bool inProgress = false;
        try
        {
            socket.Connect(endPoint);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress && socket.AddressFamily == AddressFamily.Unix)
        {
            // A Unix stream connect never goes on in the background (Linux): it connects at once, or fails with
            // EAGAIN when the listener's accept queue is full, leaving the socket unconnected (.NET reports
            // both EAGAIN and EINPROGRESS as WouldBlock). Waiting for writable would hand out an unconnected
            // stream; fail as tokio does.
            throw new SocketException((int)SocketError.WouldBlock,
                $"connect to {endPoint} failed: the listener's accept queue is full (EAGAIN). Retry later, or have the listener accept faster or listen with a larger backlog.");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // In progress: the socket becomes writable when the handshake ends, either way.
            inProgress = true;
        }
        catch (SocketException e)
        {
            throw NetErrors.Create(e.SocketErrorCode, "connect to", endPoint);
        }

        IoRegistration registration = IoRegistration.Register(socket, runtime, $"connection to {endPoint}");
        try
        {
            if (!inProgress)
            {
                return registration;
            }

            while (true)
            {
                // A fresh registration starts ready, so the first wake-up may come before the
                // handshake ended: poll(0) tells which, and a "not yet" clears the stale readiness.
                ReadyEvent ready = await registration.ReadinessAsync(Interest.Writable, cancellationToken, file, line, member);
                bool done = socket.Poll(0, SelectMode.SelectWrite) || socket.Poll(0, SelectMode.SelectError);
                if (done)
                {
                    var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                    if (error != SocketError.Success)
                    {
                        throw NetErrors.Create(error, "connect to", endPoint);
                    }

                    return registration;
                }

                registration.ClearReadiness(ready);
            }
        }
        catch
        {
            registration.Dispose();
            throw;
        }
    }
}
