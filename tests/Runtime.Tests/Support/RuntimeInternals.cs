using Spindle.Scheduling;

namespace SpindleTests.Support;

/// <summary>Access to engine state for assertions that have no public surface (timer counts).</summary>
public static class RuntimeInternals
{
    internal static RuntimeCore Core(this Runtime runtime) => runtime.Core;
}
