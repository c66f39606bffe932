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
/// read directly, and <see cref="CoarseSystemTicks"/> reads its coarse sibling
/// <c>CLOCK_MONOTONIC_COARSE</c>: the same clock as of the kernel's last tick, four times cheaper to
/// read (about 6 ns against 24 ns on the development machine). Elsewhere there is no coarse clock
/// and <see cref="HasCoarse"/> is false.
/// </para>
/// <para>
/// A coarse reading is never later than a precise one taken at the same moment and at most one
/// kernel tick earlier; <see cref="CoarseMarginTicks"/> is that tick plus a millisecond, so a
/// deadline counted from <c>coarse + margin</c> is never earlier than one counted from a precise
/// reading, and at most the margin later.
/// </para>
/// </remarks>
internal static class Clock
{
    /// <summary>Coarse clocks with a tick longer than this are not used (the lateness would show).</summary>
    private static readonly long s_maxCoarseResolutionTicks = TimeSpan.FromMilliseconds(10).Ticks;

    [SupportedOSPlatformGuard("linux")]
    private static readonly bool s_linux = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    private static readonly long s_origin = s_linux ? LinuxNanoseconds(LibcClock.CLOCK_MONOTONIC) : Stopwatch.GetTimestamp();

    /// <summary>Stopwatch ticks are not TimeSpan ticks on every platform; this converts.</summary>
    private static readonly double s_tickScale = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;

    private static readonly long s_coarseMarginTicks = s_linux ? ProbeCoarseMargin() : -1;

    /// <summary>Whether <see cref="CoarseSystemTicks"/> reads a coarse clock (64-bit Linux with a tick of 10 ms or less).</summary>
    [SupportedOSPlatformGuard("linux")]
    public static bool HasCoarse => s_linux && s_coarseMarginTicks > 0;

    /// <summary>How much earlier than the true time a coarse reading may be, at most (the kernel tick plus 1 ms).</summary>
    public static long CoarseMarginTicks => s_coarseMarginTicks;

    public static long SystemTicks()
    {
        if (s_linux)
        {
            return (LinuxNanoseconds(LibcClock.CLOCK_MONOTONIC) - s_origin) / 100;
        }

        long elapsed = Stopwatch.GetTimestamp() - s_origin;
        return Stopwatch.Frequency == TimeSpan.TicksPerSecond ? elapsed : (long)(elapsed * s_tickScale);
    }

    /// <summary>
    /// The system clock as of the kernel's last tick: at most <see cref="CoarseMarginTicks"/> earlier
    /// than <see cref="SystemTicks"/>, never later. Without a coarse clock, the precise reading.
    /// </summary>
    public static long CoarseSystemTicks() =>
        HasCoarse ? (LinuxNanoseconds(LibcClock.CLOCK_MONOTONIC_COARSE) - s_origin) / 100 : SystemTicks();

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

    [SupportedOSPlatform("linux")]
    private static unsafe long ProbeCoarseMargin()
    {
        LibcClock.Timespec resolution;
        if (LibcClock.ClockGetRes(LibcClock.CLOCK_MONOTONIC_COARSE, &resolution) != 0)
        {
            return -1;
        }

        long ticks = ((resolution.Seconds * 1_000_000_000) + resolution.Nanoseconds + 99) / 100;
        return ticks <= 0 || ticks > s_maxCoarseResolutionTicks ? -1 : ticks + TimeSpan.TicksPerMillisecond;
    }

    private static void ThrowClockFailed(int clockId) =>
        throw new InvalidOperationException($"clock_gettime({clockId}) failed: this system's monotonic clock cannot be read.");
}
