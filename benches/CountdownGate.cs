using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Benchmarks;

/// <summary>
/// Completes a task when a fixed number of arrivals has been counted: how the spawn workloads learn
/// that their last child ran (tokio's benchmarks use a channel for the same purpose).
/// </summary>
internal sealed class CountdownGate
{
    private TaskCompletionSource _done = new();
    private int _remaining;

    /// <summary>Arms the gate for <paramref name="count"/> arrivals; call before any arriver starts.</summary>
    public Task Start(int count)
    {
        _remaining = count;
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _done.Task;
    }

    /// <summary>Counts <paramref name="count"/> arrivals; the one reaching zero opens the gate (Start wrote it before any arriver ran).</summary>
    public void Arrive(int count = 1)
    {
        if (Interlocked.Add(ref _remaining, -count) == 0)
        {
            _done.SetResult();
        }
    }
}
