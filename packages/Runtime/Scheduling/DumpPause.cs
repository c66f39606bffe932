using System;
using System.Threading;

namespace Spindle.Scheduling;

/// <summary>
/// One pause of a runtime's pollers for a task dump (tokio's trace barrier): every thread that polls
/// tasks stops between two polls and waits here until the dump is taken.
/// </summary>
/// <remarks>
/// <para>
/// Protocol. The dumper publishes the pause (<see cref="RuntimeScheduler.PauseForDump"/>) and wakes
/// parked pollers; each poller checks for a published pause before every poll
/// (<see cref="RuntimeScheduler.CheckDumpPause"/>, one volatile read when no dump is taken) and after
/// every wake-up, then arrives here and blocks until <see cref="Release"/>. A poller that does not
/// arrive within the timeout is busy inside one long poll: the dump reports the task it runs as
/// running (its state says so) and walks the rest; once that poll ends the poller arrives and waits
/// like the others, so nothing else moves during the walk.
/// </para>
/// <para>
/// Each dump uses a fresh pause object, so a poller that read an old pause just before it was
/// released arrives at a released pause and passes straight through (no ABA across dumps).
/// </para>
/// </remarks>
#pragma warning disable CA1001 // Not disposed on purpose: a late poller may still be inside _released.Wait after the dump ended; the events never create an OS handle (WaitHandle is not used).
internal sealed class DumpPause
#pragma warning restore CA1001
{
    private readonly int _expected;
    private readonly ManualResetEventSlim _allArrived;
    private readonly ManualResetEventSlim _released = new(false);
    private int _arrived;

    public DumpPause(int expected)
    {
        _expected = expected;
        _allArrived = new ManualResetEventSlim(expected <= 0);
    }

    /// <summary>Gets the number of pollers that are expected to arrive.</summary>
    public int Expected => _expected;

    /// <summary>Gets the number of pollers that have arrived so far.</summary>
    public int Arrived => Volatile.Read(ref _arrived);

    /// <summary>Called by a poller between polls: counts it in and blocks until the dump is taken.</summary>
    public void ArriveAndWait()
    {
        if (Interlocked.Increment(ref _arrived) == _expected)
        {
            _allArrived.Set();
        }

        // Unbounded on purpose: the dumper releases in a finally, and a poller must not resume
        // polling while another thread walks the tasks.
        _released.Wait();
    }

    /// <summary>Waits until every expected poller has arrived.</summary>
    /// <returns>Whether all arrived within <paramref name="timeout"/>.</returns>
    public bool WaitForAll(TimeSpan timeout) => _allArrived.Wait(timeout);

    /// <summary>Lets every arrived (and every later-arriving) poller go on.</summary>
    public void Release() => _released.Set();
}
