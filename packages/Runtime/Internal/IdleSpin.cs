using System;
using System.Diagnostics;
using System.Threading;

namespace Spindle.Internal;

/// <summary>
/// The bounded spin a thread that ran out of work does before it sleeps in the kernel
/// (<see cref="RuntimeBuilder.SpinBeforePark"/>).
/// </summary>
internal static class IdleSpin
{
    /// <summary>
    /// Spins until <paramref name="done"/> holds or <paramref name="ticks"/> (<see cref="Stopwatch"/>
    /// ticks) have passed. After the first few rounds each round yields the core to any other
    /// runnable thread, so the spin never keeps a runnable thread off a core.
    /// </summary>
    /// <returns>Whether <paramref name="done"/> held.</returns>
    public static bool Until<TState>(TState state, Func<TState, bool> done, long ticks)
    {
        if (ticks <= 0)
        {
            return false;
        }

        long deadline = Stopwatch.GetTimestamp() + ticks;
        var spinner = default(SpinWait);
        while (true)
        {
            if (done(state))
            {
                return true;
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                return false;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>A duration in <see cref="Stopwatch"/> ticks.</summary>
    public static long ToTicks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);
}
