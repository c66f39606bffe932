using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Spindle.Sync;

namespace Spindle.Benchmarks;

/// <summary>
/// A request/reply round trip between two tasks, in the spirit of tokio's benches/sync_mpsc_oneshot.rs:
/// a responder task takes requests from an unbounded Spindle mpsc channel and answers each through its
/// reply slot; the requester sends 1 000 requests one after the other and awaits every reply. Both
/// methods use the same request channel and the same multi-thread runtime (2 workers); they differ only
/// in the reply: a Spindle oneshot, or (baseline) a <see cref="TaskCompletionSource{TResult}"/> with
/// asynchronous continuations.
/// </summary>
[MemoryDiagnoser]
public class SyncOneshot : SyncRuntime
{
    private const int Requests = 1_000;


    [Benchmark(Baseline = true)]
    public void TaskCompletionSource() => Runtime.BlockOn(TaskCompletionSourceRoundTripsAsync);

    [Benchmark]
    public void Spindle() => Runtime.BlockOn(OneshotRoundTripsAsync);

    private static async Task TaskCompletionSourceRoundTripsAsync()
    {
        var (tx, rx) = Mpsc.Unbounded<TaskCompletionSource<int>>();
        JoinHandle responder = SpindleTask.Spawn(async () =>
        {
            while ((await rx.RecvAsync()).TryGetValue(out TaskCompletionSource<int>? reply))
            {
                reply.SetResult(1);
            }
        });
        using (tx)
        {
            for (int i = 0; i < Requests; i++)
            {
                var reply = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                tx.Send(reply);
                await reply.Task;
            }
        }

        await responder;
    }

    private static async Task OneshotRoundTripsAsync()
    {
        var (tx, rx) = Mpsc.Unbounded<OneshotSender<int>>();
        JoinHandle responder = SpindleTask.Spawn(async () =>
        {
            while ((await rx.RecvAsync()).TryGetValue(out OneshotSender<int>? reply))
            {
                using (reply)
                {
                    reply.Send(1);
                }
            }
        });
        using (tx)
        {
            for (int i = 0; i < Requests; i++)
            {
                var (replyTx, replyRx) = Oneshot.Create<int>();
                tx.Send(replyTx);
                await replyRx;
            }
        }

        await responder;
    }
}
