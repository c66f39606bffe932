using System.Runtime.CompilerServices;
using Spindle.IO;

namespace SpindleTests.Readiness;

/// <summary>
/// A new registration's readiness carries tick 0, and a clear of it clears only if the tick is unchanged:
/// so no driver turn may use tick 0, or an event of that turn would be cleared as already seen.
/// </summary>
public sealed class DriverTickTests
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_tick")]
    private static extern ref int TickOf(IoDriver driver);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "NextTick")]
    private static extern int NextTick(IoDriver driver);

    [Theory]
    [InlineData(IoBackend.Epoll)]
    [InlineData(IoBackend.Portable)]
    public void NextTick_WrapsPastZero_WhichIsANewRegistrationsTick(IoBackend backend)
    {
        using IoDriver driver = IoDriver.Create(backend);
        TickOf(driver) = ScheduledIo.TickMask - 1;
        Assert.Equal(ScheduledIo.TickMask, NextTick(driver));
        Assert.Equal(1, NextTick(driver));
        Assert.Equal(2, NextTick(driver));
    }
}
