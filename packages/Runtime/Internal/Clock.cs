using System;
using System.Diagnostics;

namespace Spindle.Internal;

/// <summary>
/// Reads the monotonic clock. The origin is fixed the first time the process reads it, so tick
/// counts start near zero and leave room for far deadlines without overflow.
/// </summary>
internal static class Clock
{
    private static readonly long s_origin = Stopwatch.GetTimestamp();

    /// <summary>Stopwatch ticks are not TimeSpan ticks on every platform; this converts.</summary>
    private static readonly double s_tickScale = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;

    public static long SystemTicks()
    {
        long elapsed = Stopwatch.GetTimestamp() - s_origin;
        return Stopwatch.Frequency == TimeSpan.TicksPerSecond ? elapsed : (long)(elapsed * s_tickScale);
    }

    public static Time.Instant CurrentNow() =>
        Time.Instant.FromTicks(Scheduling.RuntimeCore.Current?.Clock.NowTicks ?? SystemTicks());
}
