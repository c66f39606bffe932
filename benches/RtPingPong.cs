using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks;

/// <summary>
/// Ports tokio's <c>ping_pong</c> (benches/rt_multi_threaded.rs): a task spawns 1 000 "ping" tasks;
/// each ping spawns a "pong" task and awaits the value it sends back, then decrements a shared
/// counter; the last one opens a gate awaited in <c>BlockOn</c>. tokio passes the ping and the pong
/// through two oneshot channels; here the pong's reply is its result, read by awaiting its
/// <see cref="JoinHandle{T}"/> (baseline: awaiting the <see cref="Task{TResult}"/> from
/// <see cref="Task.Run{TResult}(Func{TResult})"/>), so one spawn-and-join round trip per ping.
/// </summary>
[MemoryDiagnoser]
public class RtPingPong : SpindleRuntimes
{
    private const int NumPings = 1_000;

    private static readonly Task<int> s_reply = Task.FromResult(1);

    private readonly Func<Task> _poolRoot;
    private readonly Action _poolLauncher;
    private readonly Func<Task> _poolPing;
    private readonly Func<int> _poolPong = static () => 1;
    private readonly Func<Task> _spindleRoot;
    private readonly Func<Task> _spindleLauncher;
    private readonly Func<Task> _spindlePing;
    private readonly Func<Task<int>> _spindlePong = static () => s_reply;
    private readonly CountdownGate _gate = new();

    public RtPingPong()
    {
        _poolPing = async () =>
        {
            int reply = await Task.Run(_poolPong);
            _gate.Arrive(reply);
        };
        _poolLauncher = () =>
        {
            for (int i = 0; i < NumPings; i++)
            {
                _ = Task.Run(_poolPing);
            }
        };
        _poolRoot = async () =>
        {
            Task done = _gate.Start(NumPings);
            _ = Task.Run(_poolLauncher);
            await done;
        };
        _spindlePing = async () =>
        {
            int reply = await SpindleTask.Spawn(_spindlePong);
            _gate.Arrive(reply);
        };
        _spindleLauncher = () =>
        {
            for (int i = 0; i < NumPings; i++)
            {
                SpindleTask.Spawn(_spindlePing);
            }

            return Task.CompletedTask;
        };
        _spindleRoot = async () =>
        {
            Task done = _gate.Start(NumPings);
            _ = SpindleTask.Spawn(_spindleLauncher);
            await done;
        };
    }

    [Benchmark(Baseline = true)]
    public void ThreadPool() => Task.Run(_poolRoot).GetAwaiter().GetResult();

    [Benchmark]
    public void SpindleMultiThread() => MultiThreadRuntime.BlockOn(_spindleRoot);

    [Benchmark]
    public void SpindleCurrentThread() => CurrentThreadRuntime.BlockOn(_spindleRoot);
}
