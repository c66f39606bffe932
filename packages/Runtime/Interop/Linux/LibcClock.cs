using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Spindle.Interop.Linux;

/// <summary>The libc clock calls behind <c>Spindle.Internal.Clock</c> on 64-bit Linux.</summary>
/// <remarks>
/// <c>clock_gettime</c> reads the vDSO: it neither blocks nor calls back into managed code, so the
/// calls suppress the GC transition (which would cost as much as the reading).
/// </remarks>
[SupportedOSPlatform("linux")]
internal static unsafe partial class LibcClock
{
    public const int CLOCK_MONOTONIC = 1;

    /// <summary>The 64-bit <c>struct timespec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [SuppressGCTransition]
    public static partial int ClockGetTime(int clockId, Timespec* time);
}
