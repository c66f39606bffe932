using SpindleTests.Support;

namespace SpindleTests.Stress;

/// <summary>
/// Notify under contention: NotifyOne from several threads against waiter tasks that are aborted at
/// random, on the multi-thread runtime. Short by default; <c>SPINDLE_STRESS=long</c> for the full counts.
/// </summary>
/// <remarks>
/// Permits coalesce, so "received == sent" does not hold. Each NotifyOne instead reports what it did
/// (woke a waiter, stored the permit, or found a permit already stored). Every successful await is
/// then either a wake-up or the consumption of a stored permit, and every stored permit is consumed
/// or is still there at the end, hence: received == woke + stored - (permit left ? 1 : 0). A
/// notification lost to an aborted waiter makes the left side smaller.
/// </remarks>
[Trait("Category", "Stress")]
public sealed class NotifyStressTests
{
    private static readonly bool s_long = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long";

    private static int Scale(int shortCount, int longCount) => s_long ? longCount : shortCount;

    [Fact]
    public void NotifyOne_FromSeveralThreads_WithRandomAborts_AccountsForEveryNotification()
    {
        const int Senders = 3;
        const int Waiters = 4;
        int perSender = Scale(20_000, 500_000);
        int minAborts = Scale(200, 5_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        var notify = new Notify();
        long received = 0;
        long woke = 0;
        long stored = 0;
        int aborts = 0;

        Func<Task> waiterBody = async () =>
        {
            while (true)
            {
                await notify.NotifiedAsync();
                Interlocked.Increment(ref received);
            }
        };

        Rt.Run(runtime, async () =>
        {
            var waiters = new JoinHandle[Waiters];
            for (int i = 0; i < Waiters; i++)
            {
                waiters[i] = SpindleTask.Spawn(waiterBody);
            }

            Task[] senders = Enumerable.Range(0, Senders).Select(_ => Task.Factory.StartNew(() =>
            {
                long myWoke = 0;
                long myStored = 0;
                // Sending outlasts the aborts it must overlap with, whichever side the machine runs faster.
                for (int n = 0; n < perSender || Volatile.Read(ref aborts) < minAborts; n++)
                {
                    switch (notify.NotifyCore(last: false))
                    {
                        case NotifyOutcome.Woke:
                            myWoke++;
                            break;
                        case NotifyOutcome.StoredPermit:
                            myStored++;
                            break;
                    }
                }

                Interlocked.Add(ref woke, myWoke);
                Interlocked.Add(ref stored, myStored);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            Task sending = Task.WhenAll(senders);

            while (!sending.IsCompleted)
            {
                int victim = Random.Shared.Next(Waiters);
                waiters[victim].Abort();
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await waiters[victim]);
                waiters[victim] = SpindleTask.Spawn(waiterBody);
                // Single writer; the senders read it to know when enough aborts overlapped them.
                Volatile.Write(ref aborts, aborts + 1);
                for (int y = Random.Shared.Next(4); y >= 0; y--)
                {
                    await SpindleTask.YieldAsync();
                }
            }

            await Rt.Within(sending);
            foreach (JoinHandle waiter in waiters)
            {
                waiter.Abort();
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await waiter);
            }
        });

        Assert.Equal(0, notify.WaiterCount);
        long left = notify.HasPermit ? 1 : 0;
        Assert.True(aborts >= minAborts, "the test must abort waiters while notifications fly");
        Assert.True(woke > 0, "the test must wake waiters, not only store permits");
        Assert.Equal(woke + stored - left, Interlocked.Read(ref received));
    }
}
