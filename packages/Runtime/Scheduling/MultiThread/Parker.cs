using System;
using System.Threading;
using Spindle.Internal;

namespace Spindle.Scheduling.MultiThread;

/// <summary>
/// A worker's park/unpark primitive (tokio's <c>park.rs</c>): a worker that can take the shared
/// driver parks on it (sleeping until a timer or an unpark), the others wait on their own monitor.
/// </summary>
/// <remarks>
/// States: Empty → ParkedCondvar | ParkedDriver → Empty; Unpark swaps in Notified and then wakes
/// whichever wait the worker is in. A Notified seen at the start of Park is consumed without
/// sleeping, so an unpark that races ahead of the park is never lost.
/// </remarks>
internal sealed class Parker
{
    private const int Empty = 0;
    private const int ParkedCondvar = 1;
    private const int ParkedDriver = 2;
    private const int Notified = 3;

    private readonly object _monitor = new();
    private readonly SharedDriver _driver;
    private readonly long _spinTicks;
    private int _state;

    public Parker(SharedDriver driver, TimeSpan spinBeforePark)
    {
        _driver = driver;
        _spinTicks = IdleSpin.ToTicks(spinBeforePark);
    }

    /// <summary>Waits for <see cref="Unpark"/> (or, on the driver, a timer or I/O event).</summary>
    /// <returns>Whether a notification (or, for the driver holder, ready I/O) ended the wait while the worker was still spinning.</returns>
    public bool Park(Func<bool> isIdle)
    {
        // Fast path: a notification arrived since the last park.
        if (Interlocked.CompareExchange(ref _state, Empty, Notified) == Notified)
        {
            return false;
        }

        if (_driver.TryLock())
        {
            try
            {
                if (Spin(holdsDriver: true))
                {
                    return true;
                }

                ParkDriver(isIdle);
            }
            finally
            {
                _driver.Unlock();
            }
        }
        else
        {
            if (Spin(holdsDriver: false))
            {
                return true;
            }

            ParkCondvar();
        }

        return false;
    }

    /// <summary>
    /// Spins before parking. Spinning in Empty is the same as being about to park: an Unpark now only
    /// swaps in Notified (no system call on either side), and the spin consumes it. The driver's
    /// holder also dispatches ready I/O while it spins, so a spin never delays a socket event. Not
    /// under a paused clock, where parking idle is what moves time on.
    /// </summary>
    /// <returns>Whether a notification or ready I/O ended the spin.</returns>
    private bool Spin(bool holdsDriver)
    {
        if (_driver.Driver.Time.Clock.IsPaused)
        {
            return false;
        }

        bool woken = holdsDriver
            ? IdleSpin.Until(this, static p => Volatile.Read(ref p._state) == Notified || p._driver.Driver.PollReadyIo(), _spinTicks)
            : IdleSpin.Until(this, static p => Volatile.Read(ref p._state) == Notified, _spinTicks);
        if (woken)
        {
            // Consumes the notification if one came (ready I/O may have ended the spin instead).
            _ = Interlocked.CompareExchange(ref _state, Empty, Notified);
        }

        return woken;
    }

    private void ParkCondvar()
    {
        lock (_monitor)
        {
            int seen = Interlocked.CompareExchange(ref _state, ParkedCondvar, Empty);
            if (seen == Notified)
            {
                Volatile.Write(ref _state, Empty);
                return;
            }

            while (true)
            {
                Monitor.Wait(_monitor);
                // Pairs with Unpark's swap: only a real notification ends the park.
                if (Interlocked.CompareExchange(ref _state, Empty, Notified) == Notified)
                {
                    return;
                }
            }
        }
    }

    private void ParkDriver(Func<bool> isIdle)
    {
        int seen = Interlocked.CompareExchange(ref _state, ParkedDriver, Empty);
        if (seen == Notified)
        {
            Volatile.Write(ref _state, Empty);
            return;
        }

        _driver.Driver.Park(isIdle);
        // Whether woken by Unpark (Notified) or by a timer (still ParkedDriver), we are running now.
        Interlocked.Exchange(ref _state, Empty);
    }

    public void Unpark()
    {
        switch (Interlocked.Exchange(ref _state, Notified))
        {
            case ParkedCondvar:
                // Take the monitor so the pulse cannot fall between the worker's state change and its Wait.
                lock (_monitor)
                {
                    Monitor.Pulse(_monitor);
                }

                break;
            case ParkedDriver:
                _driver.Driver.Unpark();
                break;
            default:
                break;
        }
    }
}
