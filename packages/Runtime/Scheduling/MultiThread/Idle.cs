using System;
using System.Collections.Generic;
using System.Threading;

namespace Spindle.Scheduling.MultiThread;

/// <summary>
/// Which workers are parked or searching, following tokio's <c>idle.rs</c>: at most half the
/// workers search for work at once, and a new task wakes a parked worker only when nobody is
/// searching (a searcher will find it).
/// </summary>
/// <remarks>
/// <see cref="_state"/> packs the number of unparked workers (high 16 bits) and of searching
/// workers (low 16 bits) so a notifier can decide with one read whether to wake anyone. The sleeper
/// list is only changed under <see cref="_lock"/>, and a notifier re-checks the state under it, so
/// a worker that is parking and a task that is arriving cannot miss each other.
/// </remarks>
internal sealed class Idle
{
    private const int UnparkShift = 16;
    private const int SearchMask = (1 << UnparkShift) - 1;

    private readonly Lock _lock = new();
    private readonly List<int> _sleepers;
    private readonly int _workers;
    private int _state;

    public Idle(int workers)
    {
        _workers = workers;
        _sleepers = new List<int>(workers);
        _state = workers << UnparkShift;
    }

    public int NumSearching => Volatile.Read(ref _state) & SearchMask;

    public int NumUnparked => Volatile.Read(ref _state) >> UnparkShift;

    /// <summary>Returns a parked worker to wake for new work, already counted as unparked and searching; -1 if none should wake.</summary>
    public int WorkerToNotify()
    {
        if (!ShouldNotify())
        {
            return -1;
        }

        lock (_lock)
        {
            // Re-check under the lock: another notifier may have woken someone meanwhile.
            if (!ShouldNotify() || _sleepers.Count == 0)
            {
                return -1;
            }

            Interlocked.Add(ref _state, (1 << UnparkShift) + 1);
            int worker = _sleepers[^1];
            _sleepers.RemoveAt(_sleepers.Count - 1);
            return worker;
        }
    }

    private bool ShouldNotify()
    {
        int state = Volatile.Read(ref _state);
        return (state & SearchMask) == 0 && (state >> UnparkShift) < _workers;
    }

    /// <summary>Records that a worker parks. Returns true if it was the last searching worker.</summary>
    public bool TransitionWorkerToParked(int worker, bool isSearching)
    {
        lock (_lock)
        {
            int delta = (1 << UnparkShift) + (isSearching ? 1 : 0);
            int previous = Interlocked.Add(ref _state, -delta) + delta;
            _sleepers.Add(worker);
            return isSearching && (previous & SearchMask) == 1;
        }
    }

    /// <summary>
    /// Whether every worker is parked and <paramref name="noQueuedWork"/> holds, as one moment: the
    /// sleeper list is held while the predicate runs, so no worker can unpark and take queued work
    /// between the two reads (the paused clock's idle check).
    /// </summary>
    public bool AllParkedAnd(Func<bool> noQueuedWork)
    {
        lock (_lock)
        {
            return NumUnparked == 0 && noQueuedWork();
        }
    }

    /// <summary>Tries to become a searcher; fails when half the workers already search.</summary>
    public bool TransitionWorkerToSearching()
    {
        int state = Volatile.Read(ref _state);
        if (2 * (state & SearchMask) >= _workers)
        {
            return false;
        }

        // Benign race: two workers may both pass the check; tokio tolerates the same overshoot.
        Interlocked.Increment(ref _state);
        return true;
    }

    /// <summary>A searcher found work. Returns true if it was the last searcher (so it should wake another).</summary>
    public bool TransitionWorkerFromSearching()
    {
        int previous = Interlocked.Decrement(ref _state) + 1;
        return (previous & SearchMask) == 1;
    }

    /// <summary>Whether <paramref name="worker"/> is still in the sleeper list (a wake-up without a notification).</summary>
    public bool IsParked(int worker)
    {
        lock (_lock)
        {
            return _sleepers.Contains(worker);
        }
    }

    /// <summary>Removes a worker that woke with work of its own from the sleeper list. False if a notifier had already removed it.</summary>
    public bool UnparkWorkerById(int worker)
    {
        lock (_lock)
        {
            if (_sleepers.Remove(worker))
            {
                Interlocked.Add(ref _state, 1 << UnparkShift);
                return true;
            }

            return false;
        }
    }
}
