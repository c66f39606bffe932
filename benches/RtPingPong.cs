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
    private TaskCompletionSource _done = new();
    private int _remaining;

    public RtPingPong()
    {
        _poolPing = async () =>
        {
            int reply = await Task.Run(_poolPong);
            Arrive(reply);
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
            Task done = Start();
            _ = Task.Run(_poolLauncher);
            await done;
        };
        _spindlePing = async () =>
        {
            int reply = await SpindleTask.Spawn(_spindlePong);
            Arrive(reply);
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
            Task done = Start();
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

    private Task Start()
    {
        _remaining = NumPings;
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _done.Task;
    }

    private void Arrive(int reply)
    {
        // The reply is always 1, so this counts pings down; the one reaching zero is the last, and Start
        // wrote the gate before any ping was spawned.
        if (Interlocked.Add(ref _remaining, -reply) == 0)
        {
            _done.SetResult();
        }
    }
}
