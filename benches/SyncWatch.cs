using System;
using System.Threading.Channels;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// A value updated 10 000 times while 4 watcher tasks wait for changes, on the Spindle multi-thread
/// runtime (2 workers); a round ends when every watcher has seen the final value. Watchers skip the
/// values that were overwritten before they looked, on both sides. Spindle uses one <see cref="Watch"/>
/// channel; the baseline gives each watcher a System.Threading.Channels channel of capacity 1 with
/// <see cref="BoundedChannelFullMode.DropOldest"/> (the BCL's nearest "latest value" primitive), and the
/// sender writes each update to all 4. Results are per update; the channels are created once.
/// </summary>
[MemoryDiagnoser]
public class SyncWatch : SyncRuntime
{
    private const int Updates = 10_000;
    private const int Watchers = 4;

    private readonly Func<Task> _spindleRoot;
    private readonly Func<Task> _channelsRoot;
    private readonly Func<Task>[] _spindleWatchers = new Func<Task>[Watchers];
    private readonly Func<Task>[] _channelsWatchers = new Func<Task>[Watchers];
    private readonly JoinHandle[] _handles = new JoinHandle[Watchers];
    private WatchSender<long> _sender = null!;
    private WatchReceiver<long>[] _receivers = null!;
    private Channel<long>[] _channels = null!;
    // Values grow across rounds so a round's final value is never one a watcher saw before.
    private long _last;

    public SyncWatch()
    {
        for (int i = 0; i < Watchers; i++)
        {
            int me = i;
            _spindleWatchers[i] = async () =>
            {
                WatchReceiver<long> rx = _receivers[me];
                long target = _last;
                while (rx.BorrowAndUpdate().Value != target)
                {
                    await rx.ChangedAsync();
                }
            };
            _channelsWatchers[i] = async () =>
            {
                ChannelReader<long> reader = _channels[me].Reader;
                long target = _last;
                while (await reader.ReadAsync() != target)
                {
                }
            };
        }

        _spindleRoot = async () =>
        {
            long first = _last + 1;
            _last += Updates;
            for (int i = 0; i < Watchers; i++)
            {
                _handles[i] = SpindleTask.Spawn(_spindleWatchers[i]);
            }

            for (long v = first; v <= _last; v++)
            {
                _sender.Send(v);
            }

            foreach (JoinHandle handle in _handles)
            {
                await handle;
            }
        };
        _channelsRoot = async () =>
        {
            long first = _last + 1;
            _last += Updates;
            for (int i = 0; i < Watchers; i++)
            {
                _handles[i] = SpindleTask.Spawn(_channelsWatchers[i]);
            }

            for (long v = first; v <= _last; v++)
            {
                foreach (Channel<long> channel in _channels)
                {
                    channel.Writer.TryWrite(v);
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
        (_sender, WatchReceiver<long> first) = Watch.Create(0L);
        _receivers = new WatchReceiver<long>[Watchers];
        _receivers[0] = first;
        for (int i = 1; i < Watchers; i++)
        {
            _receivers[i] = _sender.Subscribe();
        }

        _channels = new Channel<long>[Watchers];
        for (int i = 0; i < Watchers; i++)
        {
            _channels[i] = Channel.CreateBounded<long>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });
        }
    }

    protected override void Cleanup()
    {
        foreach (WatchReceiver<long> rx in _receivers)
        {
            rx.Dispose();
        }

        _sender.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Updates)]
    public void DropOldestChannels() => Runtime.BlockOn(_channelsRoot);

    [Benchmark(OperationsPerInvoke = Updates)]
    public void SpindleWatch() => Runtime.BlockOn(_spindleRoot);
}
