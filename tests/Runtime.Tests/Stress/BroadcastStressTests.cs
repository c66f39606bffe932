using SpindleTests.Support;

namespace SpindleTests.Stress;

/// <summary>
/// Bounded stress of the broadcast and watch channels on the multi-thread runtime: several producers
/// and receivers racing sends, receives, cancellations and close. CI runs the short form; set
/// <c>SPINDLE_STRESS=long</c> for more values. Every wait is bounded by <see cref="Rt.Run"/>.
/// </summary>
[Trait("Category", "Stress")]
public sealed class BroadcastStressTests
{
    private const int Producers = 3;
    private const int Receivers = 4;

    private static readonly bool s_long = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long";

    private static int Scale(int shortCount, int longCount) => s_long ? longCount : shortCount;

    [Theory]
    [InlineData(16)]
    [InlineData(1 << 16)]
    public void Broadcast_ManyProducersAndReceivers_EveryValueReceivedOnceOrReportedLagged(int capacity)
    {
        int perProducer = Scale(20_000, 200_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        (long Received, long Lagged, long Cancelled)[] outcomes = Rt.Run(runtime, async () =>
        {
            var (tx, first) = Broadcast.Create<(int Producer, int Seq)>(capacity);
            var receivers = new List<BroadcastReceiver<(int, int)>> { first };
            for (int i = 1; i < Receivers; i++)
            {
                receivers.Add(tx.Subscribe());
            }

            // Receiver 0 waits with tokens that a helper task keeps cancelling, racing cancel against send.
            CancellationTokenSource current = new();
            bool done = false;
            JoinHandle canceller = SpindleTask.Spawn(async () =>
            {
                while (!Volatile.Read(ref done))
                {
                    CancellationTokenSource next = new();
                    Interlocked.Exchange(ref current, next).Cancel();
                    await SpindleTask.YieldAsync();
                }
            });

            var readers = receivers.Select((rx, index) => SpindleTask.Spawn(async () =>
            {
                long received = 0, lagged = 0, cancelled = 0;
                int[] lastSeq = Enumerable.Repeat(-1, Producers).ToArray();
                while (true)
                {
                    BroadcastResult<(int Producer, int Seq)> result;
                    try
                    {
                        result = index == 0 ? await rx.RecvAsync(Volatile.Read(ref current).Token) : await rx.RecvAsync();
                    }
                    catch (OperationCanceledException)
                    {
                        cancelled++;
                        continue;
                    }

                    switch (result.Status)
                    {
                        case BroadcastStatus.Value:
                            (int producer, int seq) = result.Value;
                            // Per producer, values arrive in send order: lag may skip some, never reorder or repeat.
                            Assert.True(seq > lastSeq[producer], $"receiver {index}: producer {producer} seq {seq} after {lastSeq[producer]}");
                            lastSeq[producer] = seq;
                            received++;
                            break;
                        case BroadcastStatus.Lagged:
                            Assert.True(result.LaggedBy > 0);
                            lagged += result.LaggedBy;
                            break;
                        case BroadcastStatus.Closed:
                            rx.Dispose();
                            return (received, lagged, cancelled);
                        default:
                            throw new InvalidOperationException($"unexpected {result.Status}");
                    }
                }
            })).ToList();

            var producers = Enumerable.Range(0, Producers).Select(p =>
            {
                BroadcastSender<(int, int)> mine = tx.Clone();
                return SpindleTask.Spawn(async () =>
                {
                    using BroadcastSender<(int, int)> sender = mine;
                    for (int seq = 0; seq < perProducer; seq++)
                    {
                        Assert.Equal(Receivers, sender.Send((p, seq)));
                        if (seq % 64 == 0)
                        {
                            await SpindleTask.YieldAsync();
                        }
                    }
                });
            }).ToList();
            tx.Dispose();
            foreach (JoinHandle producer in producers)
            {
                await producer;
            }

            var outcomes = new List<(long, long, long)>();
            foreach (JoinHandle<(long, long, long)> reader in readers)
            {
                outcomes.Add(await reader);
            }

            Volatile.Write(ref done, true);
            await canceller;
            return outcomes.ToArray();
        });

        long sent = (long)Producers * perProducer;
        foreach ((long received, long lagged, _) in outcomes)
        {
            Assert.Equal(sent, received + lagged);
            if (capacity >= sent)
            {
                Assert.Equal(0, lagged);
            }
        }
    }

    [Fact]
    public void Watch_ConcurrentModifiersAndReceivers_NeverGoBackAndAlwaysSeeTheFinalValue()
    {
        int perProducer = Scale(20_000, 200_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        int[] finals = Rt.Run(runtime, async () =>
        {
            var (tx, first) = Watch.Create(0);
            var receivers = new List<WatchReceiver<int>> { first };
            for (int i = 1; i < Receivers; i++)
            {
                receivers.Add(i % 2 == 0 ? tx.Subscribe() : first.Clone());
            }

            var watchers = receivers.Select((rx, index) => SpindleTask.Spawn(async () =>
            {
                int last = 0;
                using WatchReceiver<int> receiver = rx;
                while (await rx.ChangedAsync())
                {
                    // Even receivers read with BorrowAndUpdate (strictly newer each time), odd ones with Borrow.
                    WatchRef<int> seen = index % 2 == 0 ? rx.BorrowAndUpdate() : rx.Borrow();
                    Assert.True(seen.Value >= last, $"receiver {index} went back from {last} to {seen.Value}");
                    last = seen.Value;
                }

                // After the sender is gone the final value is still there to read.
                return Math.Max(last, rx.Borrow().Value);
            })).ToList();

            var producers = Enumerable.Range(0, 2).Select(p => SpindleTask.Spawn(async () =>
            {
                for (int i = 0; i < perProducer; i++)
                {
                    if (i % 2 == 0)
                    {
                        tx.SendModify(static (ref int v) => v++);
                    }
                    else
                    {
                        Assert.True(tx.SendIfModified(static (ref int v) =>
                        {
                            v++;
                            return true;
                        }));
                    }

                    if (i % 64 == 0)
                    {
                        await SpindleTask.YieldAsync();
                    }
                }
            })).ToList();
            foreach (JoinHandle producer in producers)
            {
                await producer;
            }

            tx.Dispose();
            var results = new List<int>();
            foreach (JoinHandle<int> watcher in watchers)
            {
                results.Add(await watcher);
            }

            return results.ToArray();
        });

        Assert.All(finals, last => Assert.Equal(2 * perProducer, last));
    }

    [Fact]
    public void Watch_FinalValueRacingSenderDispose_NeverMissed()
    {
        int rounds = Scale(2_000, 20_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        Rt.Run(runtime, async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                var (tx, rx) = Watch.Create(0);
                JoinHandle<int> watcher = SpindleTask.Spawn(async () =>
                {
                    using WatchReceiver<int> receiver = rx;
                    int last = 0;
                    while (await rx.ChangedAsync())
                    {
                        last = rx.BorrowAndUpdate().Value;
                    }

                    return last;
                });
                JoinHandle sender = SpindleTask.Spawn(() =>
                {
                    tx.Send(1);
                    tx.Send(2);
                    tx.Dispose();
                    return Task.CompletedTask;
                });
                await sender;
                Assert.Equal(2, await watcher);
            }
        });
    }
}
