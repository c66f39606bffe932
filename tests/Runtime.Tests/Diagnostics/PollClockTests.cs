using Spindle.Scheduling;
using SpindleTests.Support;

namespace SpindleTests.Diagnostics;

/// <summary>
/// A task's last-poll time (<see cref="TaskInfo.SinceLastPoll"/>) comes from a clock that a busy
/// scheduler thread reads once per 16 polls: reused only inside a scheduler loop, and read afresh
/// after the thread slept, so an idle stretch never shows up as a task's time.
/// </summary>
public sealed class PollClockTests
{
    [Theory]
    [InlineData(1_000L, 1_000L, 0L)]
    [InlineData(1_000L, 61_000L, 60_000L)]
    // The clock passed a multiple of 2^32 ms between the poll and the reading.
    [InlineData(0xFFFF_FFF0L, 0x1_0000_0010L, 0x20L)]
    [InlineData(0x2_FFFF_FFFFL, 0x3_0000_0000L, 1L)]
    public void TimeSinceAPoll_IsExactAcrossTheWrapOfItsStoredBits(long pollEnd, long now, long expected)
    {
        Assert.Equal(expected, TaskCore.MillisecondsSince((uint)pollEnd, now));
    }

    [Fact]
    public void OutsideASchedulerLoop_EveryPollReadsTheClock()
    {
        var thread = new ThreadData();
        long first = thread.PollEndMilliseconds();
        WaitForTickAfter(first);
        Assert.True(thread.PollEndMilliseconds() > first, "a thread outside a scheduler loop reused a clock read");
    }

    [Fact]
    public void InsideASchedulerLoop_ReadsAreReusedABoundedNumberOfTimes_AndRefreshForcesARead()
    {
        var thread = new ThreadData();
        Assert.False(thread.SetSchedulerLoop(true));
        long first = thread.PollEndMilliseconds();
        WaitForTickAfter(first);
        for (int i = 0; i < ThreadData.ClockReusesInLoop; i++)
        {
            Assert.Equal(first, thread.PollEndMilliseconds());
        }

        long second = thread.PollEndMilliseconds();
        Assert.True(second > first, $"the clock was not read again after {ThreadData.ClockReusesInLoop} reuses");

        WaitForTickAfter(second);
        thread.RefreshClock();
        Assert.True(thread.PollEndMilliseconds() > second, "RefreshClock did not force a read");

        // Leaving the loop withdraws reuse at once.
        Assert.True(thread.SetSchedulerLoop(false));
        long outside = thread.PollEndMilliseconds();
        WaitForTickAfter(outside);
        Assert.True(thread.PollEndMilliseconds() > outside);
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void ATaskPolledAfterTheRuntimeSlept_GetsATimeFromAfterTheSleep(RuntimeFlavor flavor)
    {
        // Scheduler threads between their park and unpark hooks: each one must pass its wake-up
        // before it polls again. (A thread that is merely preempted after a poll may rightly reuse
        // its clock read for the next task it finds, so the wake waits until every thread sleeps.)
        int parked = 0;
        int threads = flavor == RuntimeFlavor.MultiThread ? 2 : 1;
        using Runtime runtime = Rt.Build(flavor, configure: b => b
            .OnThreadPark(() => Interlocked.Increment(ref parked))
            .OnThreadUnpark(() => Interlocked.Decrement(ref parked)));
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        (long WokenAt, long PollEnd) seen = Rt.Run(runtime, async () =>
        {
            // A few polls first, so each scheduler thread holds a clock read it could reuse.
            for (int i = 0; i < 4; i++)
            {
                await SpindleTask.Spawn(() => Task.CompletedTask);
            }

            JoinHandle handle = SpindleTask.Spawn(async () =>
            {
                await wake.Task;
                // Ends its second poll here without completing, so its poll-end time stays readable.
                await never.Task;
            });
            TaskCore waiter = handle.Task;
            await Waiting.UntilAsync(() => waiter.PollCount == 1 && waiter.SnapshotState() == TaskState.Idle);

            // Every task now waits on something foreign: the runtime's threads spin briefly, then
            // sleep. Another thread lets the coarse clock move on (a bounded spin, no sleep),
            // waits until every scheduler thread sleeps, and then wakes the waiter.
            long wokenAt = await Rt.Within(Task.Run(() =>
            {
                WaitForTickAfter(Environment.TickCount64 + 1);
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref parked) == threads, Rt.Bound), "the runtime's threads never all went to sleep");
                long now = Environment.TickCount64;
                wake.SetResult();
                return now;
            }));
            await Waiting.UntilAsync(() => waiter.PollCount == 2 && waiter.SnapshotState() == TaskState.Idle);
            never.SetResult();
            long now = Environment.TickCount64;
            return (wokenAt, now - waiter.MillisecondsSinceLastPoll(now));
        });

        Assert.True(seen.PollEnd >= seen.WokenAt,
            $"the poll after the wake recorded {seen.PollEnd} ms, before the wake at {seen.WokenAt} ms: a clock read from before the sleep was reused");
    }

    /// <summary>Spins (bounded) until <see cref="Environment.TickCount64"/> is past <paramref name="tick"/>.</summary>
    private static void WaitForTickAfter(long tick)
    {
        DateTime deadline = DateTime.UtcNow + Rt.Bound;
        while (Environment.TickCount64 <= tick)
        {
            Assert.True(DateTime.UtcNow < deadline, "the tick counter did not advance");
            Thread.SpinWait(100);
        }
    }
}
