using SpindleTests.Support;
using Spindle.Sync;

namespace SpindleTests.Stress;

/// <summary>
/// The sender's <see cref="OneshotSender{T}.ClosedAsync"/> published on one thread while the receiver
/// closes, or the sender is disposed, on another: every wait must end. Short by default;
/// <c>SPINDLE_STRESS=long</c> for the full count.
/// </summary>
[Trait("Category", "Stress")]
public sealed class OneshotStressTests
{
    private static readonly bool s_long = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClosedAsync_RacingCloseOrSenderDispose_AlwaysEnds(bool disposeSender)
    {
        int rounds = s_long ? 200_000 : 10_000;
        int round = -1;
        int done = 0;
        var (tx, rx) = Oneshot.Create<int>();
        var closer = new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                // Both sides start round i together, so the close lands anywhere in ClosedAsync's publish. No
                // assert on this thread (it would crash the host): the test thread ends the rounds if it fails.
                int mine = i;
                if (!SpinWait.SpinUntil(() => Volatile.Read(ref round) >= mine, Rt.Bound) || Volatile.Read(ref round) != mine)
                {
                    return;
                }

                if (disposeSender)
                {
                    tx.Dispose();
                }
                else
                {
                    rx.Close();
                }

                Interlocked.Increment(ref done);
            }
        });
        closer.Start();
        try
        {
            for (int i = 0; i < rounds; i++)
            {
                (tx, rx) = Oneshot.Create<int>();
                OneshotSender<int> sender = tx;
                Volatile.Write(ref round, i);
                ValueTask closed = sender.ClosedAsync();
                if (!closed.IsCompleted && !closed.AsTask().Wait(Rt.Bound))
                {
                    Assert.Fail($"round {i}: ClosedAsync did not end after the {(disposeSender ? "sender's Dispose" : "receiver's Close")}");
                }

                // The next round replaces tx and rx only once the closing thread is done with these.
                int expected = i + 1;
                if (!SpinWait.SpinUntil(() => Volatile.Read(ref done) == expected, Rt.Bound))
                {
                    Assert.Fail($"round {i}: the closing thread did not finish it");
                }
            }
        }
        finally
        {
            Volatile.Write(ref round, rounds);
            Assert.True(closer.Join(Rt.Bound), "the closing thread did not finish");
        }
    }
}
