using SpindleTests.Support;

namespace SpindleTests.Timers;

/// <summary>Time on the paused clock only: no wall-clock waits, exact instants.</summary>
public sealed class TimeTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Sec = TimeSpan.FromSeconds(1);

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ManyTimers_FireInDeadlineOrder_AtTheirExactDeadline(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        var random = new Random(1234);
        int[] delays = Enumerable.Range(0, 200).Select(_ => random.Next(1, 5_000)).ToArray();
        List<(int Delay, TimeSpan Woke)> wakes = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            var log = new List<(int, TimeSpan)>();
            var set = new JoinSet<int>();
            foreach (int delay in delays)
            {
                set.Spawn(async () =>
                {
                    await Time.SleepAsync(TimeSpan.FromMilliseconds(delay));
                    lock (log)
                    {
                        log.Add((delay, Instant.Now - start));
                    }

                    return delay;
                });
            }

            while (await set.JoinNextAsync() is { } r)
            {
                _ = r.Value;
            }

            return log;
        });
        Assert.Equal(delays.Length, wakes.Count);
        Assert.All(wakes, w => Assert.Equal(TimeSpan.FromMilliseconds(w.Delay), w.Woke));
        Assert.Equal(wakes.Select(w => w.Woke).OrderBy(t => t), wakes.Select(w => w.Woke));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AutoAdvance_LongSleep_CompletesAndClockMovesExactly(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        TimeSpan elapsed = ElapsedOnClock(runtime, () => Time.SleepAsync(TimeSpan.FromHours(5)).AsTask());
        Assert.Equal(TimeSpan.FromHours(5), elapsed);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Sleep_ResetEarlierWhileAwaited_EndsAtNewDeadline(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        TimeSpan woke = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Sleep sleep = Time.Sleep(TimeSpan.FromSeconds(10));
            JoinHandle resetter = SpindleTask.Spawn(async () =>
            {
                await Time.SleepAsync(100 * Ms);
                sleep.Reset(start + TimeSpan.FromMilliseconds(250));
            });
            await sleep;
            await resetter;
            return Instant.Now - start;
        });
        Assert.Equal(TimeSpan.FromMilliseconds(250), woke);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Sleep_ResetLaterAndReuse_WaitsAgain(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        (TimeSpan First, TimeSpan Second, bool Elapsed) result = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Sleep sleep = Time.Sleep(50 * Ms);
            sleep.Reset(80 * Ms);
            await sleep;
            TimeSpan first = Instant.Now - start;
            bool elapsed = sleep.IsElapsed;
            sleep.Reset(Instant.Now + 20 * Ms);
            await sleep.WaitAsync();
            return (first, Instant.Now - start, elapsed);
        });
        Assert.Equal(80 * Ms, result.First);
        Assert.Equal(100 * Ms, result.Second);
        Assert.True(result.Elapsed);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SleepUntil_PastDeadline_CompletesAtOnce(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        TimeSpan elapsed = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            await Time.SleepUntilAsync(start - TimeSpan.FromSeconds(1));
            await Time.SleepAsync(TimeSpan.Zero);
            return Instant.Now - start;
        });
        Assert.Equal(TimeSpan.Zero, elapsed);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SleepAsync_ConcurrentAndAfterCancel_EachEndsAtItsOwnDeadline(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        (TimeSpan A, TimeSpan B, TimeSpan C) result = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            using (var cts = new CancellationTokenSource())
            {
                ValueTask cancelled = Time.SleepAsync(TimeSpan.FromHours(1), cts.Token);
                cts.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            }

            TimeSpan a = default, b = default;
            await Task.WhenAll(
                Task.Run(() => Task.CompletedTask),
                SleepThen(30, t => a = t),
                SleepThen(10, t => b = t));
            await Time.SleepAsync(5 * Ms);
            return (a, b, Instant.Now - start);

            async Task SleepThen(int ms, Action<TimeSpan> record)
            {
                await Time.SleepAsync(ms * Ms);
                record(Instant.Now - start);
            }
        });
        Assert.Equal(30 * Ms, result.A);
        Assert.Equal(10 * Ms, result.B);
        Assert.Equal(35 * Ms, result.C);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Sleep_TokenCancelled_ThrowsAndRemovesTimer(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            using var cts = new CancellationTokenSource();
            ValueTask sleeping = Time.SleepAsync(TimeSpan.FromHours(1), cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await sleeping);
            Assert.Equal(0, runtime.Core().Time.Count);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Interval_Burst_CatchesUpOnMissedTicks(RuntimeFlavor flavor)
    {
        List<TimeSpan> ticks = RunInterval(flavor, MissedTickBehavior.Burst);
        Assert.Equal(new[] { 0, 10, 20, 30, 40 }.Select(ms => ms * Ms), ticks);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Interval_Delay_ShiftsScheduleAfterMiss(RuntimeFlavor flavor)
    {
        List<TimeSpan> ticks = RunInterval(flavor, MissedTickBehavior.Delay);
        // Tick 10 is observed at 35 (late): the next comes one period after that, at 45, then 55.
        Assert.Equal(new[] { 0, 10, 45, 55, 65 }.Select(ms => ms * Ms), ticks);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Interval_Skip_JumpsToNextScheduledTick(RuntimeFlavor flavor)
    {
        List<TimeSpan> ticks = RunInterval(flavor, MissedTickBehavior.Skip);
        Assert.Equal(new[] { 0, 10, 40, 50, 60 }.Select(ms => ms * Ms), ticks);
    }

    [Theory]
    [InlineData(MissedTickBehavior.Burst, new[] { 0, 100, 200 })]
    [InlineData(MissedTickBehavior.Delay, new[] { 0, 100, 250 })]
    [InlineData(MissedTickBehavior.Skip, new[] { 0, 100, 200 })]
    public void Interval_TickLateByLessThanAPeriod_IsAMissAsInTokio(MissedTickBehavior behavior, int[] expectedMs)
    {
        // Tick 100 is taken at 150: more than tokio's 5 ms late, so it counts as missed and Delay
        // moves the schedule to one period after that, although no whole tick was skipped.
        Assert.Equal(expectedMs.Select(ms => ms * Ms), RunIntervalStalled(behavior, 100 * Ms, 150 * Ms, 2));
    }

    [Fact]
    public void Interval_TickLateBy5MsOrLess_KeepsTheSchedule()
    {
        Assert.Equal(new[] { 0, 10, 20 }.Select(ms => ms * Ms), RunIntervalStalled(MissedTickBehavior.Delay, 10 * Ms, 15 * Ms, 2));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Interval_PeriodOfTimeSpanMaxValue_TicksOnceThenNeverAgain(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Interval interval = Time.Interval(TimeSpan.MaxValue);
            Assert.Equal(start, await interval.TickAsync());
            // The next tick saturates at the end of the clock's range instead of wrapping into the past.
            Assert.False(interval.TickAsync().IsCompleted);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void AdvanceAsync_TimeSpanMaxValue_SaturatesAndFiresEverything(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            Instant before = Instant.Now;
            JoinHandle sleeper = SpindleTask.Spawn(() => Time.SleepAsync(TimeSpan.FromSeconds(1)).AsTask());
            JoinHandle forever = SpindleTask.Spawn(() => Time.SleepAsync(TimeSpan.MaxValue).AsTask());
            await SpindleTask.YieldAsync();
            await Time.AdvanceAsync(TimeSpan.MaxValue);
            Assert.True(Instant.Now >= before, "the clock moved backwards");
            await Rt.Within(sleeper.AsTask());
            // Even a sleep until the end of the clock's range ends there, not never.
            await Rt.Within(forever.AsTask());
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void SleepAsync_TimeSpanMaxValue_OnAPausedRuntime_EndsByAutoAdvance(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            // Auto-advance walks the wheel to the end of the clock's range; the deadline saturated
            // there used to round past it and never fire, with the driver spinning.
            await Rt.Within(Time.SleepAsync(TimeSpan.MaxValue).AsTask());
            Assert.Equal(long.MaxValue, Instant.Now.Ticks);
        });
    }

    // The two tests below make a change land between the driver taking a timer out of the wheel
    // and firing it: an earlier timer of the same batch (a timeout scope) runs its token's callbacks
    // inside its own firing, and one of those moves the later timer.

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Sleep_ResetBetweenItsRemovalFromTheWheelAndItsFiring_WaitsForTheNewDeadline(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Sleep sleep = Time.Sleep(1500 * Ms);
            JoinHandle<TimeSpan> waiter = SpindleTask.Spawn(async () =>
            {
                await sleep;
                TimeSpan woke = Instant.Now - start;
                // A second wait on the same (elapsed) sleep: it used to find the reset's registration
                // left in the wheel and throw.
                await sleep;
                return woke;
            });
            JoinHandle<bool> scoped = SpindleTask.Spawn(() => TimesOutAfterItsCallbackRan(() => sleep.Reset(10 * Sec)));
            await Waiting.UntilParkedOnAsync(runtime, waiter.Id, "sleep");
            await Waiting.UntilParkedOnAsync(runtime, scoped.Id, "sleep");
            await Time.AdvanceAsync(2 * Sec);
            Assert.True(await Rt.Within(scoped.AsTask()));
            Assert.Equal(12 * Sec, await Rt.Within(waiter.AsTask()));
            Assert.Equal(0, runtime.Core().Time.Count);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TimeProviderTimer_ChangedBetweenItsRemovalFromTheWheelAndItsFiring_DoesNotBreakTheBatch(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            // A running blocking task keeps the paused clock from auto-advancing: time moves only
            // through the AdvanceAsync calls below (a periodic timer would otherwise run it away).
            using var release = new ManualResetEventSlim();
            JoinHandle holdClock = SpindleTask.SpawnBlocking(() => release.Wait(Rt.Bound));
            TimeProvider provider = runtime.Handle.TimeProvider;
            long start = provider.GetTimestamp();
            long firstFiring = -1;
            using ITimer timer = provider.CreateTimer(_ => Interlocked.CompareExchange(ref firstFiring, provider.GetTimestamp(), -1), null, 1500 * Ms, Sec);
            // Due after the timer in the same batch: it was lost when the stale firing threw.
            JoinHandle sleeper = SpindleTask.Spawn(async () => await Time.SleepAsync(1600 * Ms));
            JoinHandle<bool> scoped = SpindleTask.Spawn(() => TimesOutAfterItsCallbackRan(() => timer.Change(5 * Sec, Sec)));
            await Waiting.UntilParkedOnAsync(runtime, sleeper.Id, "sleep");
            await Waiting.UntilParkedOnAsync(runtime, scoped.Id, "sleep");
            await Time.AdvanceAsync(2 * Sec);
            Assert.True(await Rt.Within(scoped.AsTask()));
            await Rt.Within(sleeper.AsTask());
            // The change superseded the 1.5 s firing: the first callback comes at 2 s + 5 s.
            await Time.AdvanceAsync(5 * Sec);
            await Waiting.UntilAsync(() => Volatile.Read(ref firstFiring) >= 0);
            Assert.Equal(7 * Sec, TimeSpan.FromTicks(Volatile.Read(ref firstFiring) - start));
            release.Set();
            await holdClock;
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TimeProviderTimer_PausedClockDoesNotAutoAdvanceWhileItsCallbackRuns(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            TimeProvider provider = runtime.Handle.TimeProvider;
            long start = provider.GetTimestamp();
            // The next timer an idle runtime would jump to.
            JoinHandle sleeper = SpindleTask.Spawn(async () => await Time.SleepAsync(TimeSpan.FromHours(1)));
            var clockInCallback = new TaskCompletionSource<(long Entry, long Exit, bool Inhibited)>(TaskCreationOptions.RunContinuationsAsynchronously);
            using ITimer timer = provider.CreateTimer(_ =>
            {
                long entry = provider.GetTimestamp();
                bool inhibited = !runtime.Core().Time.AutoAdvanceAllowed;
                // The runtime is idle meanwhile (the main task awaits this callback): a jump to the sleeper's
                // hour would show here. Bounded: the old code jumped within a few milliseconds.
                SpinWait.SpinUntil(() => provider.GetTimestamp() != entry, TimeSpan.FromMilliseconds(500));
                clockInCallback.SetResult((entry, provider.GetTimestamp(), inhibited));
            }, null, Sec, Timeout.InfiniteTimeSpan);
            var (entry, exit, inhibited) = await Rt.Within(clockInCallback.Task);
            Assert.True(inhibited, "a running TimeProvider callback must hold auto-advance");
            Assert.Equal(Sec, TimeSpan.FromTicks(entry - start));
            Assert.Equal(entry, exit);
            // Once the callback is over, the idle runtime advances again.
            await Rt.Within(sleeper.AsTask());
            Assert.Equal(TimeSpan.FromHours(1), TimeSpan.FromTicks(provider.GetTimestamp() - start));
            Assert.True(runtime.Core().Time.AutoAdvanceAllowed);
        });
    }

    [Fact]
    public void TimeProviderTimer_BadTimes_ThrowAsSystemThreadingTimer()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        TimeProvider provider = runtime.Handle.TimeProvider;
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => provider.CreateTimer(_ => { }, null, TimeSpan.FromMilliseconds(-2), Timeout.InfiniteTimeSpan));
        Assert.Equal("dueTime", negative.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => provider.CreateTimer(_ => { }, null, TimeSpan.MaxValue, Timeout.InfiniteTimeSpan));
        Assert.Throws<ArgumentOutOfRangeException>(() => provider.CreateTimer(_ => { }, null, Sec, TimeSpan.FromMilliseconds(-5)));
        using ITimer timer = provider.CreateTimer(_ => { }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var change = Assert.Throws<ArgumentOutOfRangeException>(() => timer.Change(Sec, TimeSpan.MaxValue));
        Assert.Equal("period", change.ParamName);
        Assert.Equal(0, runtime.Core().Time.Count);
    }

    [Fact]
    public void Timeout_EnclosingTimeoutExpires_InnerTokenIsCancelledForForeignAwaits()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Rt.Run(runtime, async () =>
        {
            bool innerTokenCancelled = false;
            Instant start = Instant.Now;
            // Only the inner token can end the foreign await: the outer deadline must reach it (not the inner one, an hour later).
            await Assert.ThrowsAsync<TimeoutException>(() => Time.TimeoutAsync(Sec, _ => Time.TimeoutAsync(TimeSpan.FromHours(1), async ct =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    innerTokenCancelled = ct.IsCancellationRequested;
                }
            })));
            Assert.True(innerTokenCancelled);
            Assert.Equal(Sec, Instant.Now - start);
            Assert.Equal(0, runtime.Core().Time.Count);
        });
    }

    [Fact]
    public void Timeout_TaskAborted_TokenIsCancelledForForeignAwaits()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Rt.Run(runtime, async () =>
        {
            var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle handle = SpindleTask.Spawn(() => Time.TimeoutAsync(Timeout.InfiniteTimeSpan, async ct =>
            {
                waiting.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }));
            await Rt.Within(waiting.Task);
            handle.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await handle);
        });
    }

    [Fact]
    public void Timeout_Infinite_NeverExpires_NegativeIsRefused()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            int result = await Time.TimeoutAsync(Timeout.InfiniteTimeSpan, async _ =>
            {
                await Time.SleepAsync(TimeSpan.FromDays(3));
                return 5;
            });
            Assert.Equal(5, result);
            Assert.Equal(TimeSpan.FromDays(3), Instant.Now - start);
            var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Time.TimeoutAsync(TimeSpan.FromMilliseconds(-2), _ => Task.CompletedTask));
            Assert.Equal("duration", negative.ParamName);
            Assert.Equal(0, runtime.Core().Time.Count);
        });
    }

    /// <summary>A 1 s timeout around a wait that never ends, with <paramref name="atDeadline"/> on its token: true once it timed out.</summary>
    private static async Task<bool> TimesOutAfterItsCallbackRan(Action atDeadline)
    {
        try
        {
            await Time.TimeoutAsync(Sec, async ct =>
            {
                using CancellationTokenRegistration registration = ct.Register(atDeadline);
                await Time.SleepAsync(TimeSpan.FromHours(1));
            });
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }

    /// <summary>Ticks once, stalls <paramref name="stall"/>, then takes <paramref name="ticksAfter"/> more ticks; the ticks' times from the start.</summary>
    private static List<TimeSpan> RunIntervalStalled(MissedTickBehavior behavior, TimeSpan period, TimeSpan stall, int ticksAfter, RuntimeFlavor flavor = RuntimeFlavor.CurrentThread)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        return Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Interval interval = Time.Interval(period);
            interval.MissedTickBehavior = behavior;
            var ticks = new List<TimeSpan> { await interval.TickAsync() - start };
            await Time.AdvanceAsync(stall);
            for (int i = 0; i < ticksAfter; i++)
            {
                ticks.Add(await interval.TickAsync() - start);
            }

            return ticks;
        });
    }

    /// <summary>Ticks once, stalls 35 ms (missing ticks 10..30), then takes four more ticks.</summary>
    private static List<TimeSpan> RunInterval(RuntimeFlavor flavor, MissedTickBehavior behavior) =>
        RunIntervalStalled(behavior, 10 * Ms, 35 * Ms, 4, flavor);

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Interval_Reset_RestartsScheduleFromNow(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        TimeSpan second = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            Interval interval = Time.Interval(10 * Ms);
            await interval.TickAsync();
            await Time.AdvanceAsync(3 * Ms);
            interval.Reset();
            return await interval.TickAsync() - start;
        });
        Assert.Equal(13 * Ms, second);
    }

    [Fact]
    public void Interval_NonPositivePeriod_Throws()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, paused: true);
        Rt.Run(runtime, () =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Time.Interval(TimeSpan.Zero));
            return Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_SpindleLeafInside_ThrowsTimeoutAtDeadline_FinallyRuns(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        (TimeSpan At, bool Cleaned) result = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            bool cleaned = false;
            await Assert.ThrowsAsync<TimeoutException>(() => Time.TimeoutAsync(TimeSpan.FromSeconds(2), async ct =>
            {
                try
                {
                    await Time.SleepAsync(TimeSpan.FromHours(1));
                    return 1;
                }
                finally
                {
                    cleaned = true;
                }
            }));
            return (Instant.Now - start, cleaned);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), result.At);
        Assert.True(result.Cleaned);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_ForeignAwaitWithToken_IsCancelled(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
            await Assert.ThrowsAsync<TimeoutException>(() => Time.TimeoutAsync(TimeSpan.FromSeconds(1),
                ct => Task.Delay(Timeout.Infinite, ct))));
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_FinishesInTime_ReturnsValue_AndLeavesNoTimer(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        int value = Rt.Run(runtime, async () =>
        {
            int v = await Time.TimeoutAsync(TimeSpan.FromSeconds(1), async ct =>
            {
                await Time.SleepAsync(10 * Ms);
                return 7;
            });
            // The scope's timer is gone: nothing else can fire, so the next sleep is the only timer.
            Assert.Equal(0, runtime.Core().Time.Count);
            await Time.SleepAsync(TimeSpan.FromSeconds(5));
            return v;
        });
        Assert.Equal(7, value);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_OperationThatFinishesAtOnce_NeverSetsATimer(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        int value = Rt.Run(runtime, async () =>
        {
            int sum = 0;
            for (int i = 0; i < 3; i++)
            {
                sum += await Time.TimeoutAsync(TimeSpan.FromSeconds(1), ct =>
                {
                    // Not yet waiting: the scope's timer is not in the wheel.
                    Assert.Equal(0, runtime.Core().Time.Count);
                    return Task.FromResult(1);
                });
            }

            Assert.Equal(0, runtime.Core().Time.Count);
            return sum;
        });
        Assert.Equal(3, value);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_SetsItsTimerWhenTheOperationWaits_AndRemovesItAfter(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        var notify = new Notify();
        int countWhileWaiting = Rt.Run(runtime, async () =>
        {
            Task<int> timed = Time.TimeoutAsync(TimeSpan.FromSeconds(1), async ct =>
            {
                await notify.NotifiedAsync();
                return 5;
            });
            // The operation is waiting on the Notify, so its timer is in the wheel.
            int count = runtime.Core().Time.Count;
            notify.NotifyOne();
            Assert.Equal(5, await timed);
            Assert.Equal(0, runtime.Core().Time.Count);
            return count;
        });
        Assert.Equal(1, countWhileWaiting);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_DeadlineCountsFromTheCall_NotFromWhenTheOperationFirstWaits(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        TimeSpan elapsed = ElapsedOnClock(runtime, () => Assert.ThrowsAsync<TimeoutException>(() => Time.TimeoutAsync(TimeSpan.FromSeconds(1), async ct =>
        {
            // 600 ms pass before the operation first waits (synchronously, so the timer is not set yet).
            runtime.Core().Clock.Advance(600 * Ms);
            await Time.SleepAsync(TimeSpan.FromHours(1));
        })));
        Assert.Equal(TimeSpan.FromSeconds(1), elapsed);
    }

    /// <summary>How far the runtime's (paused) clock moved while <paramref name="body"/> ran in <c>BlockOn</c>.</summary>
    private static TimeSpan ElapsedOnClock(Runtime runtime, Func<Task> body) => Rt.Run(runtime, async () =>
    {
        Instant start = Instant.Now;
        await body();
        return Instant.Now - start;
    });

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_DeadlinePassedBeforeTheOperationWaits_TimesOutAtOnce(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        var notify = new Notify();
        (TimeSpan Elapsed, bool FinallyRan) result = Rt.Run(runtime, async () =>
        {
            Instant start = Instant.Now;
            bool finallyRan = false;
            await Assert.ThrowsAsync<TimeoutException>(() => Time.TimeoutAsync(TimeSpan.FromSeconds(1), async ct =>
            {
                runtime.Core().Clock.Advance(TimeSpan.FromSeconds(2));
                try
                {
                    await notify.NotifiedAsync();
                }
                finally
                {
                    finallyRan = true;
                }
            }));
            return (Instant.Now - start, finallyRan);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), result.Elapsed);
        Assert.True(result.FinallyRan);
        Assert.Equal(0, runtime.Core().Time.Count);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_OperationThatFinishesWithoutWaiting_ReturnsItsValue_EvenPastTheDeadline(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        int value = Rt.Run(runtime, () => Time.TimeoutAsync(TimeSpan.FromSeconds(1), ct =>
        {
            // As in tokio, where the operation is polled before the timer: a result that is ready wins.
            runtime.Core().Clock.Advance(TimeSpan.FromSeconds(2));
            return Task.FromResult(9);
        }));
        Assert.Equal(9, value);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void Timeout_Nested_InnerExpiresFirst_OuterContinues(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        string result = Rt.Run(runtime, async () => await Time.TimeoutAsync(TimeSpan.FromSeconds(10), async outer =>
        {
            try
            {
                await Time.TimeoutAsync(TimeSpan.FromSeconds(1), async inner =>
                {
                    await Time.SleepAsync(TimeSpan.FromHours(1));
                    return 0;
                });
                return "inner finished";
            }
            catch (TimeoutException)
            {
                await Time.SleepAsync(TimeSpan.FromSeconds(2));
                return "outer still running";
            }
        }));
        Assert.Equal("outer still running", result);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TimeProvider_FollowsPausedClock(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        TimeSpan elapsed = Rt.Run(runtime, async () =>
        {
            TimeProvider provider = runtime.Handle.TimeProvider;
            long start = provider.GetTimestamp();
            DateTimeOffset utc = provider.GetUtcNow();
            await Task.Delay(TimeSpan.FromMinutes(3), provider);
            Assert.Equal(TimeSpan.FromMinutes(3), provider.GetUtcNow() - utc);
            return provider.GetElapsedTime(start);
        });
        Assert.Equal(TimeSpan.FromMinutes(3), elapsed);
    }

    [Fact]
    public void PauseAdvanceResume_ControlTheClock()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        Rt.Run(runtime, async () =>
        {
            Assert.Throws<InvalidOperationException>(() => Time.Resume());
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await Time.AdvanceAsync(Ms));
            Time.Pause();
            Instant paused = Instant.Now;
            await Time.AdvanceAsync(TimeSpan.FromDays(1));
            Assert.Equal(paused + TimeSpan.FromDays(1), Instant.Now);
            Time.Resume();
            Assert.True(Instant.Now >= paused + TimeSpan.FromDays(1));
        });
    }

    /// <summary>Starts a sleep and drops it: the call itself must throw before any await.</summary>
    private static void SleepOneMs()
    {
        ValueTask sleeping = Time.SleepAsync(Ms);
        sleeping.AsTask().Dispose();
    }

    [Fact]
    public void Time_OutsideRuntime_ThrowsClearError()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(SleepOneMs);
        Assert.Contains("Spindle runtime", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_Disabled_ThrowsClearError()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, configure: b => b.EnableTime(false));
        InvalidOperationException error = Rt.Run(runtime, () => Task.FromResult(Assert.Throws<InvalidOperationException>(SleepOneMs)));
        Assert.Contains("EnableTime", error.Message, StringComparison.Ordinal);
    }
}
