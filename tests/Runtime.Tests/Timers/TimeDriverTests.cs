using Spindle.Time;

namespace SpindleTests.Timers;

public sealed class TimeDriverTests
{
    private sealed class Probe : TimerEntry
    {
        private readonly List<int> _log;
        private readonly int _id;

        public Probe(List<int> log, int id)
        {
            _log = log;
            _id = id;
        }

        internal override void Fire() => _log.Add(_id);
    }

    [Fact]
    public void PausedClock_AdvanceToEachNextDeadline_FiresInDeadlineOrder()
    {
        var clock = new RuntimeClock(startPaused: true);
        var driver = new TimeDriver(clock);
        var log = new List<int>();
        long now = clock.NowTicks;
        foreach (int ms in new[] { 30, 10, 20, 700, 65, 64 })
        {
            Assert.True(driver.Register(new Probe(log, ms), now + TimeSpan.FromMilliseconds(ms).Ticks));
        }

        for (int i = 0; i < 50 && driver.Count > 0; i++)
        {
            long next = driver.NextDeadlineTicks()!.Value;
            clock.AdvanceTo(next);
            driver.ProcessExpired();
        }

        Assert.Equal(new[] { 10, 20, 30, 64, 65, 700 }, log);
        Assert.Equal(now + TimeSpan.FromMilliseconds(700).Ticks, clock.NowTicks);
    }
}
