using System;
using System.Diagnostics;
using System.Runtime.Versioning;
using Spindle.Interop.Linux;

namespace Spindle.Internal;

/// <summary>
/// Reads the monotonic clock. The origin is fixed the first time the process reads it, so tick
/// counts start near zero and leave room for far deadlines without overflow.
/// </summary>
/// <remarks>
/// <para>
/// On 64-bit Linux the clock is <c>CLOCK_MONOTONIC</c> (what <see cref="Stopwatch"/> reads there),
/// read directly without a GC transition; elsewhere the <see cref="Stopwatch"/>.
/// </para>
/// <para>
/// There is deliberately no coarse reading (<c>CLOCK_MONOTONIC_COARSE</c>, a quarter of the cost).
/// It lags the precise clock by up to a kernel tick in theory, but by more whenever the tick is late:
/// on a 2-vCPU VM it lagged by over 5 ms (a 4 ms tick plus 1 ms) in more than half of its readings,
/// and by up to 7.2 ms. A deadline counted from it plus a margin then ends early, which no timer may.
/// </para>
/// </remarks>
internal static class Clock
{
    [SupportedOSPlatformGuard("linux")]
    private static readonly bool s_linux = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    private static readonly long s_origin = s_linux ? LinuxNanoseconds(LibcClock.CLOCK_MONOTONIC) : Stopwatch.GetTimestamp();

    /// <summary>Stopwatch ticks are not TimeSpan ticks on every platform; this converts.</summary>
    private static readonly double s_tickScale = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;

    public static long SystemTicks()
    {
        if (s_linux)
        {
            return (LinuxNanoseconds(LibcClock.CLOCK_MONOTONIC) - s_origin) / 100;
        }

        long elapsed = Stopwatch.GetTimestamp() - s_origin;
        return Stopwatch.Frequency == TimeSpan.TicksPerSecond ? elapsed : (long)(elapsed * s_tickScale);
    }

    public static Time.Instant CurrentNow() =>
        Time.Instant.FromTicks(Scheduling.RuntimeCore.Current?.Clock.NowTicks ?? SystemTicks());

    [SupportedOSPlatform("linux")]
    private static unsafe long LinuxNanoseconds(int clockId)
    {
        LibcClock.Timespec time;
        if (LibcClock.ClockGetTime(clockId, &time) != 0)
        {
            ThrowClockFailed(clockId);
        }

        return (time.Seconds * 1_000_000_000) + time.Nanoseconds;
    }

    private static void ThrowClockFailed(int clockId) =>
        throw new InvalidOperationException($"clock_gettime({clockId}) failed: this system's monotonic clock cannot be read.");
}
