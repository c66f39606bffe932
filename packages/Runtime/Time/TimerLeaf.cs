using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>
/// A leaf that waits for a deadline on the runtime's timer wheel: the engine of
/// <see cref="Sleep"/>, <c>Time.SleepAsync</c> and <see cref="Interval"/>. One object serves any
/// number of successive waits (each gets a new <see cref="ValueTask"/> token), so a reused sleep or
/// an interval allocates nothing per wait.
/// </summary>
/// <remarks>
/// <para>
/// Wait state: Idle → Waiting (registered in the wheel) → Done (completed, result not yet taken) →
/// Idle (GetResult). Fire (timer), cancellation (token) and abort/timeout (<see cref="ILeaf.TryCancelWait"/>)
/// race to move Waiting → Done with one CAS; the loser does nothing, so a wait completes exactly once
/// and a cancelled wait leaves no timer behind.
/// </para>
/// <para>
/// The awaiting task learns about the leaf in <see cref="OnCompleted"/> (so abort can end the wait)
/// and forgets it on completion; if completion raced ahead of the registration, OnCompleted removes
/// it again before returning.
/// </para>
/// </remarks>
internal abstract class TimerLeaf<TResult> : TimerEntry, IValueTaskSource<TResult>, IValueTaskSource, ILeaf
{
    private readonly RuntimeCore _runtime;
    // Mutable struct: never readonly.
    private LeafWait _wait;

    protected TimerLeaf(RuntimeCore runtime, long deadlineTicks)
    {
        _runtime = runtime;
        DeadlineTicks = deadlineTicks;
    }

    protected RuntimeCore Runtime => _runtime;

    /// <summary>The runtime whose wheel holds this timer (for the public wrappers).</summary>
    internal RuntimeCore RuntimeOf() => _runtime;

    /// <summary>The deadline of the next (or current) wait, in runtime clock ticks.</summary>
    public long DeadlineTicks { get; protected set; }

    public bool IsWaiting => _wait.IsWaiting;

    protected abstract string Kind { get; }

    /// <summary>Called once per completed wait, on the awaiting side, to produce the result (and advance an interval).</summary>
    protected abstract TResult ProduceResult();

    /// <summary>
    /// Starts a wait until <see cref="DeadlineTicks"/>. Returns <see cref="WaitStart.Pending"/> with the
    /// token for the value task, or says the deadline has passed (and whether the coop budget allows
    /// reporting that at once or the caller must yield first).
    /// </summary>
    protected WaitStart StartWait(string? file, int line, string? member, out short token, CancellationToken cancellationToken) =>
        StartWait(file, line, member, _runtime.Clock.NowTicks, out token, cancellationToken);

    /// <summary>
    /// <see cref="StartWait(string?, int, string?, out short, CancellationToken)"/> judging "already
    /// passed" by <paramref name="nowTicks"/>, a reading the caller just took to compute the deadline.
    /// </summary>
    protected WaitStart StartWait(string? file, int line, string? member, long nowTicks, out short token, CancellationToken cancellationToken)
    {
        token = 0;
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        if (!_wait.IsIdle)
        {
            ThrowHelper.ThrowMultipleAwaiters();
        }

        if (DeadlineTicks <= nowTicks)
        {
            return Coop.TryConsume() ? WaitStart.Ready : WaitStart.ReadyAfterYield;
        }

        token = _wait.Begin(this, file, line, member, cancellationToken);
        // Rearm, not Register: a reset that raced the previous wait's firing may have left that
        // wait's registration behind; this wait takes it over.
        if (!_runtime.Time.Rearm(this, DeadlineTicks, nowTicks, token))
        {
            // The deadline passed between the check above and the registration.
            _wait.TryComplete(null);
        }

        return WaitStart.Pending;
    }

    /// <summary>Called after a forced yield when the deadline had already passed.</summary>
    protected TResult ProduceReadyResult() => ProduceResult();

    /// <summary>Moves a pending wait to a new deadline (or completes it if that has passed).</summary>
    protected void Rearm(long deadlineTicks)
    {
        DeadlineTicks = deadlineTicks;
        if (_wait.IsWaiting)
        {
            RearmWaiting(deadlineTicks, _runtime.Clock.NowTicks);
        }
    }

    /// <summary><see cref="Rearm(long)"/> with the reading the caller computed the deadline from.</summary>
    protected void Rearm(long deadlineTicks, long nowTicks)
    {
        DeadlineTicks = deadlineTicks;
        if (_wait.IsWaiting)
        {
            RearmWaiting(deadlineTicks, nowTicks);
        }
    }

    private void RearmWaiting(long deadlineTicks, long nowTicks)
    {
        // One gate for the move. If the wait completes meanwhile the new registration is left behind;
        // the next wait takes it over (StartWait) and a firing of it finds its deadline not yet due.
        if (!_runtime.Time.Rearm(this, deadlineTicks, nowTicks, _wait.Version))
        {
            _wait.TryComplete(null);
        }
    }

    internal sealed override void Fire()
    {
        // The driver takes an entry out of the wheel under its gate and fires it after leaving it, so
        // a reset (or a new wait after a cancelled one) can move the deadline in between: a firing for
        // a deadline that is no longer due is stale (the moved registration fires on time) and must not
        // end the wait early.
        if (DeadlineTicks > _runtime.Clock.NowTicks)
        {
            return;
        }

        _wait.TryComplete(null);
    }

    public bool TryCancelWait(Exception error)
    {
        short version = _wait.Version;
        if (!_wait.TryComplete(error))
        {
            return false;
        }

        // Only this wait's registration: the waiter may already have resumed and started another wait.
        _runtime.Time.CancelGeneration(this, version);
        return true;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _wait.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    public TResult GetResult(short token)
    {
        _wait.GetResult(this, token);
        TResult result = ProduceResult();
        OnResultTaken();
        return result;
    }

    /// <summary>Called after a successful wait's result was taken; the leaf is idle and may be reused.</summary>
    protected virtual void OnResultTaken()
    {
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    public LeafInfo Describe()
    {
        long left = DeadlineTicks - _runtime.Clock.NowTicks;
        string resource = left > 0
            ? $"until +{TimeSpan.FromTicks(left).TotalMilliseconds:F0} ms"
            : "until now (due)";
        return _wait.Describe(Kind, resource);
    }
}
