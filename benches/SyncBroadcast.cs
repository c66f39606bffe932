using System;
using System.Threading.Channels;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// Fan-out of one sender to 4 receivers, each a task, on the Spindle multi-thread runtime
/// (2 workers): the root task sends 10 000 values and waits until every receiver has read them all.
/// Spindle uses one <see cref="Broadcast"/> channel; the baseline does the same with one unbounded
/// System.Threading.Channels channel per receiver (the sender writes each value 4 times), since the
/// BCL has no broadcast channel. The ring holds every value of a round, so no receiver lags and both
/// sides do the same work. Results are per value sent; both channels are created once, so the
/// allocation column shows only what sending and receiving cost.
/// </summary>
[MemoryDiagnoser]
public class SyncBroadcast : SyncRuntime
{
    private const int Values = 10_000;
    private const int Receivers = 4;

    private readonly Func<Task> _spindleRoot;
    private readonly Func<Task> _channelsRoot;
    private readonly Func<Task>[] _spindleReaders = new Func<Task>[Receivers];
    private readonly Func<Task>[] _channelsReaders = new Func<Task>[Receivers];
    private readonly JoinHandle[] _handles = new JoinHandle[Receivers];
    private BroadcastSender<int> _sender = null!;
    private BroadcastReceiver<int>[] _receivers = null!;
    private Channel<int>[] _channels = null!;

    public SyncBroadcast()
    {
        for (int i = 0; i < Receivers; i++)
        {
            int me = i;
            _spindleReaders[i] = async () =>
            {
                BroadcastReceiver<int> rx = _receivers[me];
                for (int n = 0; n < Values; n++)
                {
                    await rx.RecvAsync();
                }
            };
            _channelsReaders[i] = async () =>
            {
                ChannelReader<int> reader = _channels[me].Reader;
                for (int n = 0; n < Values; n++)
                {
                    await reader.ReadAsync();
                }
            };
        }

        _spindleRoot = async () =>
        {
            for (int i = 0; i < Receivers; i++)
            {
                _handles[i] = SpindleTask.Spawn(_spindleReaders[i]);
            }

            for (int n = 0; n < Values; n++)
            {
                _sender.Send(n);
            }

            foreach (JoinHandle handle in _handles)
            {
                await handle;
            }
        };
        _channelsRoot = async () =>
        {
            for (int i = 0; i < Receivers; i++)
            {
                _handles[i] = SpindleTask.Spawn(_channelsReaders[i]);
            }

            for (int n = 0; n < Values; n++)
            {
                foreach (Channel<int> channel in _channels)
                {
                    channel.Writer.TryWrite(n);
                }
            }

            foreach (JoinHandle handle in _handles)
            {
                await handle;
            }
        };
    }

    protected override void Setup()
    {
        // Capacity rounds up to 16 384 ≥ Values: a round never overwrites a value not yet read.
        (_sender, BroadcastReceiver<int> first) = Broadcast.Create<int>(Values);
        _receivers = new BroadcastReceiver<int>[Receivers];
        _receivers[0] = first;
        for (int i = 1; i < Receivers; i++)
        {
            _receivers[i] = _sender.Subscribe();
        }

        _channels = new Channel<int>[Receivers];
        for (int i = 0; i < Receivers; i++)
        {
            _channels[i] = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        }
    }

    protected override void Cleanup()
    {
        foreach (BroadcastReceiver<int> rx in _receivers)
        {
            rx.Dispose();
        }

        _sender.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Values)]
    public void ChannelPerReceiver() => Runtime.BlockOn(_channelsRoot);

    [Benchmark(OperationsPerInvoke = Values)]
    public void SpindleBroadcast() => Runtime.BlockOn(_spindleRoot);
}
