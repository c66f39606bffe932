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

    private static readonly Action<object?> s_cancelToken = static state => ((TimeoutScope)state!).CancelToken();

    private readonly CancellationTokenSource _cts = new();
    private volatile bool _expired;
    private bool _armed;
    // The token also ends when an enclosing scope's token does or the task is aborted (see Watch).
    private CancellationTokenRegistration _parentLink;
    private CancellationTokenRegistration _taskLink;
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
            // Disposed first: the operation ended before its deadline. Or its token was cancelled first by
            // an enclosing scope or an abort, whose own cancellation ends the leaves inside.
            return;
        }

        _expired = true;
        CancelSource();
        Task?.CancelLeaves(this, CreateException());
    }

    /// <summary>An enclosing scope's token or the task's was cancelled: cancels this scope's token (for foreign awaits).</summary>
    private void CancelToken()
    {
        // The same claim as Fire's, so Dispose never disposes the source under this Cancel.
        if (Interlocked.CompareExchange(ref _state, Firing, Open) == Open)
        {
            CancelSource();
        }
    }

    private void CancelSource()
    {
        try
        {
            _cts.Cancel();
        }
#pragma warning disable CA1031 // Callbacks on the scope's token must not break the timer driver or the canceller.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Runtime.ReportUnhandled(Task, error);
        }
    }

    /// <summary>
    /// Once the operation inside has gone pending: links the scope's token to the enclosing scope's
    /// token and the task's abort (the Spindle leaves inside are ended by those directly; a foreign await
    /// only sees this token), and puts the scope's timer into the wheel (or fires it now if its deadline
    /// has passed); <paramref name="nowTicks"/> is the reading the deadline counts from. A scope without a
    /// deadline (<see cref="Timeout.InfiniteTimeSpan"/>) passes <paramref name="timed"/> false: links only.
    /// </summary>
    public void Watch(long deadlineTicks, long nowTicks, bool timed)
    {
        // Only a pending operation pays for the links (a registration each; the task's source is made once per task).
        // A token already cancelled runs the callback here, at once.
        _parentLink = Parent?.LinkToken(this) ?? default;
        if (Task is not null)
        {
            _taskLink = Task.CancellationToken.UnsafeRegister(s_cancelToken, this);
        }

        if (!timed)
        {
            return;
        }

        _armed = true;
        if (!Runtime.Time.Register(this, deadlineTicks, nowTicks))
        {
            Fire();
        }
    }

    /// <summary>Makes <paramref name="inner"/>'s token end with this scope's; nothing if this scope is already closed.</summary>
    private CancellationTokenRegistration LinkToken(TimeoutScope inner)
    {
        try
        {
            return _cts.Token.UnsafeRegister(s_cancelToken, inner);
        }
        catch (ObjectDisposedException)
        {
            // Closed: the inner scope outlived this one (work this operation left running); nothing to link to.
            return default;
        }
    }

    public void Dispose()
    {
        // Unregister does not wait for a link callback running on another thread (it runs user callbacks on
        // the token): the state CAS below decides which of the two touches the source, as with Fire.
        _parentLink.Unregister();
        _taskLink.Unregister();
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
