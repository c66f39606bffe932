using System.Diagnostics;
using System.Threading;

namespace Spindle.Internal;

/// <summary>
/// A lock for critical sections of a few field writes, embedded in its owner (no lock object): one
/// CAS to enter and one interlocked exchange to leave when uncontended, which is several times
/// cheaper than <see cref="Lock"/> on paths that run once per spawn or per wake.
/// </summary>
/// <remarks>
/// Not re-entrant, and never held across user code or a blocking call. Leaving is a full fence, not
/// just a release: callers rely on a write made under the gate being visible before their next read
/// (a task's wake enqueues under it, then reads the task state). Mutable struct: fields holding it
/// are never <c>readonly</c>.
/// </remarks>
internal struct SpinGate
{
    private int _held;

    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    private void EnterContended()
    {
        SpinWait spinner = default;
        while (Volatile.Read(ref _held) != 0 || Interlocked.CompareExchange(ref _held, 1, 0) != 0)
        {
            // Holders never block, so spinning (without ever sleeping a millisecond) ends soon.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    public void Exit()
    {
        Debug.Assert(Volatile.Read(ref _held) == 1, "SpinGate.Exit without Enter");
        Interlocked.Exchange(ref _held, 0);
    }
}
