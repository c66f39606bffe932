using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Time;

namespace Spindle.Net.Internal;

/// <summary>
/// What a listener does after the process ran out of file descriptors (EMFILE/ENFILE): the failing
/// accept throws, and the next accepts first wait on the runtime clock (10 ms, doubling to 1 s, reset
/// by a successful accept). A naive <c>while (true) { try { await AcceptAsync(); } catch { } }</c>
/// loop therefore sleeps instead of spinning, and the queued connection is not stranded: the
/// listener's readiness is kept, so the retry after the pause accepts it.
/// </summary>
internal sealed class AcceptBackoff
{
    private static readonly TimeSpan s_first = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private Instant _until;
    private TimeSpan _delay;
    private volatile bool _active;

    /// <summary>The current pause, if the last accept ran out of descriptors.</summary>
    public bool TryGetPause(out Instant until)
    {
        if (!_active)
        {
            until = default;
            return false;
        }

        lock (_lock)
        {
            until = _until;
            return _active;
        }
    }

    public void OnExhausted()
    {
        lock (_lock)
        {
            _delay = _active ? TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, s_max.Ticks)) : s_first;
            _until = Instant.Now + _delay;
            _active = true;
        }
    }

    public void OnAccepted()
    {
        if (_active)
        {
            lock (_lock)
            {
                _active = false;
            }
        }
    }

    /// <summary>
    /// One non-blocking accept on <paramref name="listener"/> for both listener types: false when no
    /// connection is queued; on EMFILE/ENFILE starts the pause and throws a message saying so.
    /// </summary>
    public bool TryAccept(Socket listener, out Socket accepted)
    {
        try
        {
            // poll(0) first: .NET's Accept reports "would block" only by throwing, which costs far more.
            if (!listener.Poll(0, SelectMode.SelectRead))
            {
                accepted = null!;
                return false;
            }

            accepted = listener.Accept();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            // Another task took the connection between the poll and the accept.
            accepted = null!;
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TooManyOpenSockets)
        {
            OnExhausted();
            throw new SocketException((int)SocketError.TooManyOpenSockets,
                $"accept on {listener.LocalEndPoint} failed: the process or system has no file descriptors left (TooManyOpenSockets). " +
                "The listener pauses its next accepts (10 ms, doubling to 1 s) so a retry loop does not spin; the connection stays queued.");
        }
        catch (SocketException e)
        {
            throw NetErrors.Create(e.SocketErrorCode, "accept on", listener.LocalEndPoint);
        }

        OnAccepted();
        return true;
    }

    /// <summary>Waits out the pause, then accepts.</summary>
    public static async ValueTask<T> AfterPauseAsync<T>(Instant until, Func<CancellationToken, ValueTask<T>> accept, CancellationToken cancellationToken)
    {
        await Time.Time.SleepUntilAsync(until, cancellationToken);
        return await accept(cancellationToken);
    }
}
