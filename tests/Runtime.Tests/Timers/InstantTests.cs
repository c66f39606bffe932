using Spindle.Time;

namespace SpindleTests.Timers;

public sealed class InstantTests
{
    [Fact]
    public void Subtract_TwoInstants_GivesSignedDuration()
    {
        Instant a = Instant.FromTicks(1_000);
        Instant b = a + TimeSpan.FromTicks(250);
        Assert.Equal(TimeSpan.FromTicks(250), b - a);
        Assert.Equal(TimeSpan.FromTicks(-250), a - b);
        Assert.True(a < b);
        Assert.Equal(a, b - TimeSpan.FromTicks(250));
    }

    [Fact]
    public void SaturatingDurationSince_LaterArgument_IsZero()
    {
        Instant a = Instant.FromTicks(10);
        Assert.Equal(TimeSpan.Zero, a.SaturatingDurationSince(a + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Add_Overflow_Saturates()
    {
        Instant far = Instant.FromTicks(long.MaxValue - 5) + TimeSpan.MaxValue;
        Assert.Equal(long.MaxValue, far.Ticks);
        Instant early = Instant.FromTicks(long.MinValue + 5) - TimeSpan.MaxValue;
        Assert.Equal(long.MinValue, early.Ticks);
    }

    [Fact]
    public void SystemNow_IsMonotonic()
    {
        Instant previous = Instant.SystemNow();
        for (int i = 0; i < 10_000; i++)
        {
            Instant next = Instant.SystemNow();
            Assert.True(next >= previous, $"clock went back from {previous} to {next}");
            previous = next;
        }
    }
}
