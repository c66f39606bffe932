using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// Ping-pong between two tasks on the Spindle multi-thread runtime (2 workers), 1 000 round trips
/// per invocation: with two <see cref="Notify"/>s (ping, pong) against the usual .NET way, a new
/// <see cref="TaskCompletionSource{TResult}"/> per message (the baseline). Each baseline message
/// carries the completion source the other side answers on, so both sides allocate one per hop,
/// as code that hands out a fresh TCS per request does. Notify should allocate nothing per round.
/// </summary>
[MemoryDiagnoser]
public class SyncNotify : SyncRuntime
{
    private const int Rounds = 1_000;

    private readonly Func<Task> _notifyRoot;
    private readonly Func<Task> _notifyPartner;
    private readonly Func<Task> _tcsRoot;
    private readonly Notify _ping = new();
    private readonly Notify _pong = new();

    public SyncNotify()
    {
        _notifyPartner = async () =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                await _ping.NotifiedAsync();
                _pong.NotifyOne();
            }
        };
        _notifyRoot = async () =>
        {
            JoinHandle partner = SpindleTask.Spawn(_notifyPartner);
            for (int i = 0; i < Rounds; i++)
            {
                _ping.NotifyOne();
                await _pong.NotifiedAsync();
            }

            await partner;
        };
        _tcsRoot = async () =>
        {
            var first = new Hop();
            JoinHandle partner = SpindleTask.Spawn(() => TcsPartnerAsync(first));
            Hop ping = first;
            for (int i = 0; i < Rounds; i++)
            {
                var reply = new Hop();
                ping.SetResult(reply);
                ping = await reply.Task;
            }

            await partner;
        };
    }

    /// <summary>Both flavours: on the current-thread runtime the hop never crosses threads, which separates the primitive's own cost from cross-worker wake-ups.</summary>
    [Params(RuntimeFlavor.MultiThread, RuntimeFlavor.CurrentThread)]
    public RuntimeFlavor Flavor { get; set; }

    protected override Runtime BuildRuntime() => Flavor == RuntimeFlavor.CurrentThread
        ? RuntimeBuilder.CreateCurrentThread().Build()
        : base.BuildRuntime();

    [Benchmark(Baseline = true)]
    public void TaskCompletionSource() => Runtime.BlockOn(_tcsRoot);

    [Benchmark]
    public void Notify() => Runtime.BlockOn(_notifyRoot);

    private static async Task TcsPartnerAsync(Hop ping)
    {
        for (int i = 0; i < Rounds; i++)
        {
            Hop reply = await ping.Task;
            var next = new Hop();
            reply.SetResult(next);
            ping = next;
        }
    }

    /// <summary>A one-shot message whose content is where the next message goes.</summary>
    private sealed class Hop() : TaskCompletionSource<Hop>(TaskCreationOptions.RunContinuationsAsynchronously);
}
