using System;
using System.Diagnostics.CodeAnalysis;

namespace Spindle.Internal;

/// <summary>Throw sites of the locks and semaphores.</summary>
internal static partial class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowGuardReleased(string guard) =>
        throw new InvalidOperationException(
            $"This {guard} no longer holds the lock: it was disposed (or is a default value), so the guarded value may be in use by another holder. " +
            "Access the value only inside the using block of the guard that locked it.");
}
