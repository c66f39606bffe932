using System;
using System.Threading;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>
/// A cancellation scope with a deadline, opened by <c>Time.TimeoutAsync</c>. It flows with the
/// async code inside it (an <see cref="AsyncLocal{T}"/>), so leaves awaited inside it know it; when
/// the deadline passes, the leaves it covers end with <see cref="OperationCanceledException"/> and
/// its token is cancelled for foreign awaits.
/// </summary>
/// <remarks>
/// Scopes nest through <see cref="Parent"/>; a leaf registered inside an inner scope is also
/// inside every outer one. The task counts its open scopes so leaves read the async-local only when
/// some scope is open.
/// </remarks>
internal sealed class TimeoutScope : TimerEntry, IDisposable
{
    private static readonly AsyncLocal<TimeoutScope?> s_current = new();

    private const int Open = 0;
    private const int Firing = 1;
    private const int Closed = 2;

    private readonly CancellationTokenSource _cts = new();
    private volatile bool _expired;
    private bool _armed;
    // Open → Firing (the deadline passed) or Closed (disposed first), by CAS: the driver fires an entry
    // after taking it out of the wheel, so Dispose's Cancel can miss a firing that is about to run.
    private int _state;

    public TimeoutScope(RuntimeCore runtime, TaskCore? task, TimeoutScope? parent, TimeSpan duration)
    {
        Runtime = runtime;
        Task = task;
        Parent = parent;
        Duration = duration;
    }

    public static TimeoutScope? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    public RuntimeCore Runtime { get; }

    public TaskCore? Task { get; }

    public TimeoutScope? Parent { get; }

    public TimeSpan Duration { get; }

    public CancellationToken Token => _cts.Token;

    public bool IsExpired => _expired;

    public bool IsExpiredInChain(out TimeoutScope? expired)
    {
        for (TimeoutScope? s = this; s is not null; s = s.Parent)
        {
            if (s._expired)
            {
                expired = s;
                return true;
            }
        }

        expired = null;
        return false;
    }

    /// <summary>Whether this scope is <paramref name="scope"/> or nested inside it.</summary>
    public bool IsWithin(TimeoutScope scope)
    {
        for (TimeoutScope? s = this; s is not null; s = s.Parent)
        {
            if (ReferenceEquals(s, scope))
            {
                return true;
            }
        }

        return false;
    }

    public OperationCanceledException CreateException() =>
        new($"The operation did not finish within its timeout of {Duration.TotalMilliseconds:F0} ms.", Token);

    internal override void Fire()
    {
        if (Interlocked.CompareExchange(ref _state, Firing, Open) != Open)
        {
            // Disposed first: the operation ended before its deadline.
            return;
        }

        _expired = true;
        try
        {
            _cts.Cancel();
        }
#pragma warning disable CA1031 // Callbacks on the scope's token must not break the timer driver.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Runtime.ReportUnhandled(Task, error);
        }

        Task?.CancelLeaves(this, CreateException());
    }

    /// <summary>
    /// Puts the scope's timer into the wheel (or fires it now if its deadline has passed), once the
    /// operation inside has gone pending; <paramref name="nowTicks"/> is the reading the deadline counts from.
    /// </summary>
    public void Arm(long deadlineTicks, long nowTicks)
    {
        _armed = true;
        if (!Runtime.Time.Register(this, deadlineTicks, nowTicks))
        {
            Fire();
        }
    }

    public void Dispose()
    {
        if (_armed)
        {
            Runtime.Time.Cancel(this);
        }

        if (Interlocked.CompareExchange(ref _state, Closed, Open) == Open)
        {
            _cts.Dispose();
        }

        // Else a firing is running or has run: it still uses the source (which holds no timer or
        // handle, so leaving it to the collector is fine). Disposing it under that firing made its
        // Cancel throw ObjectDisposedException, reported as an unhandled error.
    }
}
