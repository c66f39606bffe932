using System;
using System.Diagnostics.CodeAnalysis;

namespace Spindle.Internal;

/// <summary>Throw sites of the notification primitives: <c>Notify</c>, <c>AsyncBarrier</c>, <c>OnceCell&lt;T&gt;</c>.</summary>
internal static partial class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowOnceCellNotInitialized() =>
        throw new InvalidOperationException(
            "The OnceCell has no value yet: it was never set, or its initializer is still running or failed. " +
            "Check IsInitialized or call TryGet first, or await GetOrInitAsync to initialize it.");
}
