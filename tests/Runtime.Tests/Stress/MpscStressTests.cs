using SpindleTests.Support;

namespace SpindleTests.Stress;

/// <summary>
/// Bounded stress tests of the mpsc channels on the multi-thread runtime. CI runs the short form; set
/// <c>SPINDLE_STRESS=long</c> for the full counts. Every wait is bounded, so a lost wake-up fails the test.
/// </summary>
[Trait("Category", "Stress")]
public sealed class MpscStressTests
{
    private static readonly bool s_long = Environment.GetEnvironmentVariable("SPINDLE_STRESS") == "long";

    private static int Scale(int shortCount, int longCount) => s_long ? longCount : shortCount;

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(0)]
    public void ManyProducers_OneReceiver_EveryMessageOnceInProducerOrder(int capacity)
    {
        const int Producers = 8;
        int perProducer = Scale(5_000, 200_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        int[] lastSeen = Rt.Run(runtime, async () =>
        {
            MpscReceiver<long> rx;
            var producers = new List<JoinHandle>();
            if (capacity == 0)
            {
                var (tx, urx) = Mpsc.Unbounded<long>();
                rx = urx;
                for (int p = 0; p < Producers; p++)
                {
                    UnboundedSender<long> mine = tx.Clone();
                    long id = p;
                    producers.Add(SpindleTask.Spawn(async () =>
                    {
                        using (mine)
                        {
                            for (int i = 0; i < perProducer; i++)
                            {
                                Assert.True(mine.Send((id << 32) | (uint)i));
                                if (i % 64 == 0)
                                {
                                    await SpindleTask.YieldAsync();
                                }
                            }
                        }
                    }));
                }

                tx.Dispose();
            }
            else
            {
                var (tx, brx) = Mpsc.Bounded<long>(capacity);
                rx = brx;
                for (int p = 0; p < Producers; p++)
                {
                    MpscSender<long> mine = tx.Clone();
                    long id = p;
                    producers.Add(SpindleTask.Spawn(async () =>
                    {
                        using (mine)
                        {
                            for (int i = 0; i < perProducer; i++)
                            {
                                long message = (id << 32) | (uint)i;
                                if (i % 3 == 0 && await mine.ReserveAsync() is { } permit)
                                {
                                    permit.Send(message);
                                }
                                else if (i % 3 != 0)
                                {
                                    Assert.True(await mine.SendAsync(message));
                                }
                                else
                                {
                                    Assert.Fail("the receiver closed early");
                                }
                            }
                        }
                    }));
                }

                tx.Dispose();
            }

            int[] next = new int[Producers];
            var batch = new List<long>();
            long total = 0;
            while (true)
            {
                batch.Clear();
                if (total % 2 == 0)
                {
                    if (!(await rx.RecvAsync()).TryGetValue(out long single))
                    {
                        break;
                    }

                    batch.Add(single);
                }
                else if (await rx.RecvManyAsync(batch, 32) == 0)
                {
                    break;
                }

                foreach (long message in batch)
                {
                    int producer = (int)(message >> 32);
                    int sequence = (int)(message & 0xFFFF_FFFF);
                    Assert.Equal(next[producer], sequence);
                    next[producer]++;
                    total++;
                }
            }

            foreach (JoinHandle h in producers)
            {
                await h;
            }

            return next;
        });
        Assert.All(lastSeen, n => Assert.Equal(perProducer, n));
    }

    [Fact]
    public void ReceivesCancelledFromOtherThreads_RacingSends_LoseNoMessage()
    {
        int messages = Scale(20_000, 500_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        (int Received, int Cancelled) outcome = Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Unbounded<int>();
            JoinHandle producer = SpindleTask.Spawn(async () =>
            {
                using (tx)
                {
                    for (int i = 0; i < messages; i++)
                    {
                        tx.Send(i);
                        if (i % 8 == 0)
                        {
                            await SpindleTask.YieldAsync();
                        }
                    }
                }
            });
            int expected = 0, cancelled = 0;
            while (true)
            {
                // Not disposed: the racing Cancel may run after this iteration ends.
                var cts = new CancellationTokenSource();
                ValueTask<RecvResult<int>> pending = rx.RecvAsync(cts.Token);
                if (expected % 2 == 0)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static c => c.Cancel(), cts, preferLocal: false);
                }

                RecvResult<int> result;
                try
                {
                    result = await pending;
                }
                catch (OperationCanceledException)
                {
                    cancelled++;
                    continue;
                }

                if (!result.TryGetValue(out int value))
                {
                    break;
                }

                Assert.Equal(expected, value);
                expected++;
            }

            await producer;
            return (expected, cancelled);
        });
        Assert.Equal(messages, outcome.Received);
    }

    [Fact]
    public void CloseRacingSends_EveryAcceptedSendArrives_EndIsFinal()
    {
        // Sends are lock-free: every position claim is ordered against Close's seal (a claim after it skips
        // its slot and fails), so a send that returned true is received, a skipped slot never holds the end
        // back, and nothing arrives after the receiver saw the end.
        const int Producers = 4;
        int rounds = Scale(200, 3_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        Rt.Run(runtime, async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                var (tx, rx) = Mpsc.Unbounded<int>();
                int accepted = 0;
                var producers = new List<JoinHandle>();
                using (tx)
                {
                    for (int p = 0; p < Producers; p++)
                    {
                        UnboundedSender<int> mine = tx.Clone();
                        producers.Add(SpindleTask.Spawn(async () =>
                        {
                            using (mine)
                            {
                                for (int i = 0; mine.Send(i); i++)
                                {
                                    Interlocked.Increment(ref accepted);
                                    if (i % 16 == 0)
                                    {
                                        await SpindleTask.YieldAsync();
                                    }
                                }
                            }
                        }));
                    }
                }

                int received = 0;
                while (true)
                {
                    if (received == 50)
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(static r => r.Close(), rx, preferLocal: false);
                    }

                    if (!(await rx.RecvAsync()).HasValue)
                    {
                        break;
                    }

                    received++;
                }

                Assert.Equal(TryRecvStatus.Closed, rx.TryRecv(out _));
                foreach (JoinHandle producer in producers)
                {
                    await producer;
                }

                Assert.Equal(TryRecvStatus.Closed, rx.TryRecv(out _));
                Assert.Equal(Volatile.Read(ref accepted), received);
            }
        });
    }

    [Fact]
    public void SendersCancelledWhileWaiting_OnlyCompletedSendsArrive_NoCapacityLost()
    {
        const int Producers = 4;
        int perProducer = Scale(3_000, 100_000);
        using Runtime runtime = Rt.Build(RuntimeFlavor.MultiThread);
        Rt.Run(runtime, async () =>
        {
            var (tx, rx) = Mpsc.Bounded<long>(2);
            var sent = new System.Collections.Concurrent.ConcurrentDictionary<long, bool>();
            var producers = new List<JoinHandle>();
            for (int p = 0; p < Producers; p++)
            {
                MpscSender<long> mine = tx.Clone();
                long id = p;
                producers.Add(SpindleTask.Spawn(async () =>
                {
                    using (mine)
                    {
                        for (int i = 0; i < perProducer; i++)
                        {
                            long message = (id << 32) | (uint)i;
                            // Not disposed: the racing Cancel may run after this iteration ends.
                            var cts = new CancellationTokenSource();
                            ValueTask<bool> send = mine.SendAsync(message, cts.Token);
                            if (i % 2 == 0)
                            {
                                ThreadPool.UnsafeQueueUserWorkItem(static c => c.Cancel(), cts, preferLocal: false);
                            }

                            try
                            {
                                Assert.True(await send);
                                Assert.True(sent.TryAdd(message, true));
                            }
                            catch (OperationCanceledException)
                            {
                                // Not sent: it must never arrive.
                            }
                        }
                    }
                }));
            }

            tx.Dispose();
            var received = new HashSet<long>();
            while ((await rx.RecvAsync()).TryGetValue(out long message))
            {
                Assert.True(received.Add(message), $"message {message} arrived twice");
            }

            foreach (JoinHandle h in producers)
            {
                await h;
            }

            Assert.Equal(sent.Count, received.Count);
            Assert.All(received, m => Assert.True(sent.ContainsKey(m), $"cancelled message {m} arrived"));
        });
    }
}
