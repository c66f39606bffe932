using System.Collections.Generic;
using Spindle.Time;

namespace SpindleTests.Timers;

public sealed class TimerWheelTests
{
    // 64^6 ms: the span the wheel covers before it clamps deadlines into the top level.
    private const long WheelSpan = 1L << 36;

    private const long Day = 24L * 60 * 60 * 1000;

    [Fact]
    public void Poll_ManyRandomTimers_EachFiresOnceAtFirstPollReachingDeadline()
    {
        const int timerCount = 10_000;
        var rng = new Random(20240611);
        var wheel = new TimerWheel();
        var entries = new TestEntry[timerCount];
        for (int i = 0; i < timerCount; i++)
        {
            entries[i] = new TestEntry(i);
            Assert.True(wheel.Insert(entries[i], 1 + rng.NextInt64(10 * Day)));
        }

        wheel.AssertInvariants();
        var firedAt = new long[timerCount];
        Array.Fill(firedAt, -1L);
        var expired = new List<TimerEntry>();
        long previousNow = 0;
        long lastFiredDeadline = 0;
        int polls = 0;
        while (wheel.Count > 0)
        {
            Assert.True(++polls < 100_000, "The wheel never drained.");
            long now = previousNow + RandomStep(rng);
            expired.Clear();
            wheel.Poll(now, expired);
            wheel.AssertInvariants();
            Assert.Equal(now, wheel.Elapsed);

            foreach (TimerEntry fired in expired)
            {
                var entry = (TestEntry)fired;
                Assert.False(entry.IsRegistered);
                Assert.Equal(-1L, firedAt[entry.Id]);
                firedAt[entry.Id] = now;

                // Never early, and not held back past the first poll that reached the deadline.
                Assert.InRange(entry.DeadlineMs, previousNow + 1, now);
                Assert.True(entry.DeadlineMs >= lastFiredDeadline, $"Deadline {entry.DeadlineMs} fired after {lastFiredDeadline}.");
                lastFiredDeadline = entry.DeadlineMs;
            }

            previousNow = now;
        }

        Assert.DoesNotContain(-1L, firedAt);
        Assert.Null(wheel.NextExpiration());
    }

    [Fact]
    public void Remove_BeforeDeadline_EntryNeverFires()
    {
        var wheel = new TimerWheel();
        var first = new TestEntry(1);
        var removed = new TestEntry(2);
        var far = new TestEntry(3);
        Assert.True(wheel.Insert(first, 10));
        Assert.True(wheel.Insert(removed, 20));
        Assert.True(wheel.Insert(far, 5_000_000));
        Assert.Equal(3, wheel.Count);

        Assert.True(wheel.Remove(removed));
        Assert.False(removed.IsRegistered);
        Assert.Equal(2, wheel.Count);
        Assert.False(wheel.Remove(removed));
        Assert.False(wheel.Remove(new TestEntry(4)));
        Assert.Equal(2, wheel.Count);

        Assert.True(wheel.Remove(far));
        Assert.Equal(1, wheel.Count);
        wheel.AssertInvariants();

        var expired = new List<TimerEntry>();
        wheel.Poll(10_000_000, expired);
        Assert.Equal([first], expired);
        Assert.Equal(0, wheel.Count);
        Assert.Null(wheel.NextExpiration());
        wheel.AssertInvariants();
    }

    [Fact]
    public void Remove_LastEntryOfSlot_ClearsItFromNextExpiration()
    {
        var wheel = new TimerWheel();
        var early = new TestEntry(1);
        var late = new TestEntry(2);
        Assert.True(wheel.Insert(early, 7));
        Assert.True(wheel.Insert(late, 9));
        Assert.Equal(7L, wheel.NextExpiration());

        Assert.True(wheel.Remove(early));
        Assert.Equal(9L, wheel.NextExpiration());
        Assert.True(wheel.Remove(late));
        Assert.Null(wheel.NextExpiration());
        wheel.AssertInvariants();
    }

    [Fact]
    public void Insert_DeadlineNotAfterElapsed_ReturnsFalse()
    {
        var wheel = new TimerWheel();
        var entry = new TestEntry(1);
        Assert.False(wheel.Insert(entry, 0));
        Assert.False(wheel.Insert(entry, -5));

        wheel.Poll(100, []);
        Assert.False(wheel.Insert(entry, 100));
        Assert.False(wheel.Insert(entry, 50));
        Assert.False(entry.IsRegistered);
        Assert.Equal(0, wheel.Count);

        Assert.True(wheel.Insert(entry, 101));
        Assert.Equal(1, wheel.Count);
    }

    [Fact]
    public void Insert_AlreadyRegistered_Throws()
    {
        var wheel = new TimerWheel();
        var entry = new TestEntry(1);
        Assert.True(wheel.Insert(entry, 10));

        Assert.Throws<InvalidOperationException>(() => wheel.Insert(entry, 20));
        Assert.Equal(10, entry.DeadlineMs);
        Assert.Equal(1, wheel.Count);
    }

    [Fact]
    public void Insert_AfterEntryFired_RegistersAgain()
    {
        var wheel = new TimerWheel();
        var entry = new TestEntry(1);
        var expired = new List<TimerEntry>();
        Assert.True(wheel.Insert(entry, 10));
        wheel.Poll(10, expired);
        Assert.Equal([entry], expired);
        Assert.False(entry.IsRegistered);

        expired.Clear();
        Assert.True(wheel.Insert(entry, 1_000_000));
        Assert.True(entry.IsRegistered);
        wheel.Poll(999_999, expired);
        Assert.Empty(expired);
        wheel.Poll(1_000_000, expired);
        Assert.Equal([entry], expired);
        Assert.Equal(0, wheel.Count);
        wheel.AssertInvariants();
    }

    [Fact]
    public void Poll_TimeNotAfterElapsed_DoesNothing()
    {
        var wheel = new TimerWheel();
        var entry = new TestEntry(1);
        wheel.Poll(500, []);
        Assert.True(wheel.Insert(entry, 600));

        var expired = new List<TimerEntry>();
        wheel.Poll(400, expired);
        wheel.Poll(500, expired);
        Assert.Empty(expired);
        Assert.Equal(500, wheel.Elapsed);
        Assert.True(entry.IsRegistered);
    }

    [Fact]
    public void NextExpiration_EmptyWheel_ReturnsNull()
    {
        var wheel = new TimerWheel();
        Assert.Null(wheel.NextExpiration());

        wheel.Poll(123_456, []);
        Assert.Null(wheel.NextExpiration());
    }

    [Fact]
    public void NextExpiration_TimerOnLowestLevel_ReturnsExactDeadline()
    {
        var wheel = new TimerWheel();
        Assert.True(wheel.Insert(new TestEntry(1), 37));
        Assert.Equal(37L, wheel.NextExpiration());

        wheel.Poll(10, []);
        Assert.True(wheel.Insert(new TestEntry(2), 50));
        Assert.Equal(37L, wheel.NextExpiration());
    }

    [Theory]
    [InlineData(0L, 5_000L)]
    [InlineData(0L, 1_234_567L)]
    [InlineData(17L, 9_876_543_210L)]
    [InlineData(0L, WheelSpan - 1)]
    [InlineData(0L, WheelSpan + 12_345L)]
    [InlineData(1_000_003L, 1_000_003L + (3 * WheelSpan) + 77L)]
    public void NextExpiration_DistantTimer_ConvergesToDeadline(long start, long deadline)
    {
        var wheel = new TimerWheel();
        wheel.Poll(start, []);
        var entry = new TestEntry(1);
        Assert.True(wheel.Insert(entry, deadline));

        var expired = new List<TimerEntry>();
        int steps = 0;
        while (expired.Count == 0)
        {
            Assert.True(++steps <= 12, "NextExpiration did not converge within 12 polls.");
            long? next = wheel.NextExpiration();
            Assert.NotNull(next);
            Assert.InRange(next.Value, wheel.Elapsed + 1, deadline);
            wheel.Poll(next.Value, expired);
            wheel.AssertInvariants();
        }

        Assert.Equal([entry], expired);
        Assert.Equal(deadline, wheel.Elapsed);
        Assert.Null(wheel.NextExpiration());
    }

    [Fact]
    public void Poll_HugeJumpOverTimersSpreadAcrossAYear_FiresAllWithBoundedWork()
    {
        const int timerCount = 1_000;
        const long year = 365 * Day;
        var rng = new Random(7);
        var wheel = new TimerWheel();
        for (int i = 0; i < timerCount; i++)
        {
            Assert.True(wheel.Insert(new TestEntry(i), 1 + rng.NextInt64(year)));
        }

        var expired = new List<TimerEntry>();
        wheel.Poll(year, expired);

        Assert.Equal(timerCount, expired.Count);
        Assert.Equal(0, wheel.Count);
        for (int i = 1; i < expired.Count; i++)
        {
            Assert.True(expired[i - 1].DeadlineMs <= expired[i].DeadlineMs, "Expired entries are out of deadline order.");
        }

        // Each processed slot holds at least one entry, and an entry is processed at most once per
        // level on its way down, so the work is bounded by entries x levels, not by milliseconds.
        Assert.InRange(wheel.SlotsProcessed, 1, timerCount * 6);
    }

    [Fact]
    public void Poll_DeadlineBeyondRange_NeverFiresAndStaysRegistered()
    {
        const long deadline = long.MaxValue / 2;
        var rng = new Random(99);
        var wheel = new TimerWheel();
        var entry = new TestEntry(1);
        Assert.True(wheel.Insert(entry, deadline));

        var expired = new List<TimerEntry>();
        for (int i = 0; i < 200; i++)
        {
            // Alternate arbitrary jumps with jumps to exactly the next cascade point.
            long now = i % 2 == 0
                ? wheel.Elapsed + 1 + rng.NextInt64(2 * WheelSpan)
                : wheel.NextExpiration()!.Value;
            wheel.Poll(now, expired);
            wheel.AssertInvariants();

            Assert.Empty(expired);
            Assert.True(entry.IsRegistered);
            Assert.Equal(1, wheel.Count);
            Assert.Equal(deadline, entry.DeadlineMs);
            Assert.InRange(wheel.NextExpiration()!.Value, wheel.Elapsed + 1, deadline);
        }

        // A clamped entry is re-filed about once per wheel span, not once per slot or millisecond.
        Assert.InRange(wheel.SlotsProcessed, 1, 400);
    }

    [Fact]
    public void Poll_RandomOperationsAgainstModel_MatchesModel()
    {
        var rng = new Random(4242);
        var wheel = new TimerWheel();
        var pool = new TestEntry[256];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = new TestEntry(i);
        }

        var registered = new HashSet<TestEntry>();
        var expired = new List<TimerEntry>();
        for (int op = 0; op < 30_000; op++)
        {
            TestEntry entry = pool[rng.Next(pool.Length)];
            switch (rng.Next(4))
            {
                case 0:
                case 1:
                    long deadline = wheel.Elapsed + 1 + RandomDelta(rng);
                    if (registered.Contains(entry))
                    {
                        Assert.Throws<InvalidOperationException>(() => wheel.Insert(entry, deadline));
                    }
                    else
                    {
                        Assert.True(wheel.Insert(entry, deadline));
                        registered.Add(entry);
                    }

                    break;
                case 2:
                    Assert.Equal(registered.Remove(entry), wheel.Remove(entry));
                    Assert.False(entry.IsRegistered);
                    break;
                default:
                    long now = wheel.Elapsed + RandomDelta(rng);
                    expired.Clear();
                    wheel.Poll(now, expired);
                    var due = new HashSet<TestEntry>();
                    foreach (TestEntry candidate in registered)
                    {
                        if (candidate.DeadlineMs <= now)
                        {
                            due.Add(candidate);
                        }
                    }

                    Assert.Equal(due.Count, expired.Count);
                    for (int i = 0; i < expired.Count; i++)
                    {
                        var fired = (TestEntry)expired[i];
                        Assert.Contains(fired, due);
                        Assert.False(fired.IsRegistered);
                        Assert.True(i == 0 || expired[i - 1].DeadlineMs <= fired.DeadlineMs, "Expired entries are out of deadline order.");
                        registered.Remove(fired);
                    }

                    break;
            }

            Assert.Equal(registered.Count, wheel.Count);
            long? next = wheel.NextExpiration();
            if (registered.Count == 0)
            {
                Assert.Null(next);
            }
            else
            {
                long earliest = long.MaxValue;
                foreach (TestEntry candidate in registered)
                {
                    earliest = Math.Min(earliest, candidate.DeadlineMs);
                }

                Assert.NotNull(next);
                Assert.InRange(next.Value, wheel.Elapsed + 1, earliest);
            }

            wheel.AssertInvariants();
        }
    }

    // Steps of very different sizes, so polls land both inside and across slots of every level.
    private static long RandomStep(Random rng) => rng.Next(3) switch
    {
        0 => rng.Next(1, 64),
        1 => rng.Next(1, 100_000),
        _ => rng.Next(1, 20_000_000),
    };

    // Deltas on every level's scale, including past the wheel's span.
    private static long RandomDelta(Random rng) => rng.Next(6) switch
    {
        0 => rng.NextInt64(64),
        1 => rng.NextInt64(4_096),
        2 => rng.NextInt64(1L << 18),
        3 => rng.NextInt64(1L << 30),
        4 => rng.NextInt64(WheelSpan),
        _ => rng.NextInt64(4 * WheelSpan),
    };

    private sealed class TestEntry(int id) : TimerEntry
    {
        public int Id { get; } = id;

        // The wheel never fires entries itself; only the time driver does.
        internal override void Fire() => throw new InvalidOperationException("TimerWheel must not fire entries.");
    }
}
