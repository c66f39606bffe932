using System;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Time;

namespace Spindle.Streams.Internal;

// A deadline on the runtime clock that a combinator waits on beside a source read.
//
// One Spindle Sleep, reset in place (no allocation per arm), with at most one WaitAsync outstanding;
// re-arming while it is outstanding just moves the deadline (Sleep.Reset supports that). The
// completion only calls the onFired callback; the owner checks Fired and the clock.
//
//   Idle --Arm--> Waiting --(deadline passes)--> Waiting(completed) --TryConsume--> Idle
//
// Shutdown: the owner cancels the token given at construction, then awaits DisposeAsync, which
// observes the outstanding wait so it is not left registered on the wheel.
// CA2012 is off for this file: the pending ValueTask is stored on purpose and consumed exactly once
// (one continuation, then one GetResult), which is the whole point of the type.
#pragma warning disable CA2012
internal sealed class DeadlineTimer
{
    private readonly Action _onFired;
    private readonly CancellationToken _stop;
    private Sleep? _sleep;
    private ValueTask _pending;
    private bool _waiting;

    public DeadlineTimer(Action onFired, CancellationToken stop)
    {
        _onFired = onFired;
        _stop = stop;
    }

    /// <summary>Whether an outstanding wait has completed (the deadline passed, or it was cancelled).</summary>
    public bool IsCompleted => _waiting && _pending.IsCompleted;

    public void Arm(Instant deadline)
    {
        if (_sleep is null)
        {
            _sleep = Spindle.Time.Time.SleepUntil(deadline);
        }
        else if (_sleep.Deadline != deadline)
        {
            _sleep.Reset(deadline);
        }

        if (_waiting)
        {
            return;
        }

        _waiting = true;
        try
        {
            _pending = _sleep.WaitAsync(_stop);
        }
        catch (OperationCanceledException e)
        {
            // The stop token fired since the owner last looked: a completed wait the owner takes like any
            // other (thrown from here, it escaped the combinator and lost what it had buffered).
            _pending = ValueTask.FromException(e);
        }

        if (_pending.IsCompleted)
        {
            _onFired();
        }
        else
        {
            _pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onFired);
        }
    }

    /// <summary>Takes a completed wait; throws <see cref="OperationCanceledException"/> if it was cancelled.</summary>
    public void Consume()
    {
        _waiting = false;
        _pending.GetAwaiter().GetResult();
    }

    /// <summary>Waits for an outstanding wait (cancelled by the owner's stop token) to complete, polling between wake-ups.</summary>
    /// <param name="waitForWake">Waits for the wake-up the onFired callback sends.</param>
    public async ValueTask DisposeAsync(Func<ValueTask> waitForWake)
    {
        if (!_waiting)
        {
            return;
        }

        while (!_pending.IsCompleted)
        {
            await waitForWake();
        }

        _waiting = false;
        try
        {
            _pending.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the owner's stop token on shutdown.
        }
    }
}
