using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>
/// Time on the current runtime's clock and timer wheel (tokio's <c>tokio::time</c>): sleeps,
/// intervals, timeouts, and control of a paused clock for tests.
/// </summary>
/// <remarks>
/// Every member uses the runtime of the calling task (or worker thread) and throws
/// <see cref="InvalidOperationException"/> when called outside a runtime.
/// </remarks>
public static class Time
{
    /// <summary>Gets the current instant on the runtime clock (paused or not).</summary>
    public static Instant Now => Instant.Now;

    /// <summary>Waits for <paramref name="duration"/> on the runtime clock (1 ms resolution, never early).</summary>
    /// <param name="duration">How long to wait; zero or negative completes at once.</param>
    /// <param name="cancellationToken">Ends the wait early with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A value task that completes after the duration.</returns>
    /// <remarks>
    /// <para><b>Cancellation:</b> if the task is aborted, an enclosing <see cref="TimeoutAsync{T}(TimeSpan, Func{CancellationToken, Task{T}})"/>
    /// expires or the token fires, the await throws <see cref="OperationCanceledException"/> at once and the timer is removed.</para>
    /// <para><b>Precision:</b> the wait never ends early: the deadline counts from a precise reading of the
    /// monotonic clock, and the wait ends at the first millisecond of the timer wheel at or after it.</para>
    /// </remarks>
    /// <example><code>await Time.SleepAsync(TimeSpan.FromMilliseconds(50));</code></example>
    public static ValueTask SleepAsync(TimeSpan duration, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        RuntimeCore runtime = RequireTime("Time.SleepAsync");
        long deadline = runtime.Clock.DeadlineAfter(duration, out long now);
        return SleepTimer.SleepAsync(runtime, deadline, now, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Waits until <paramref name="deadline"/> on the runtime clock.</summary>
    /// <param name="deadline">When to complete; a past instant completes at once.</param>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A value task that completes at the deadline.</returns>
    /// <remarks><para><b>Cancellation:</b> as <see cref="SleepAsync"/>.</para></remarks>
    public static ValueTask SleepUntilAsync(Instant deadline, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        RuntimeCore runtime = RequireTime("Time.SleepUntilAsync");
        return SleepTimer.SleepAsync(runtime, deadline.Ticks, runtime.Clock.NowTicks, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>Creates a resettable sleep that ends after <paramref name="duration"/>.</summary>
    /// <param name="duration">Time from now.</param>
    /// <returns>The sleep; await it or reset it.</returns>
    /// <remarks><para><b>Precision:</b> as <see cref="SleepAsync"/>.</para></remarks>
    public static Sleep Sleep(TimeSpan duration)
    {
        RuntimeCore runtime = RequireTime("Time.Sleep");
        return new Sleep(runtime, Instant.FromTicks(runtime.Clock.DeadlineAfter(duration, out _)));
    }

    /// <summary>Creates a resettable sleep that ends at <paramref name="deadline"/>.</summary>
    /// <param name="deadline">The deadline.</param>
    /// <returns>The sleep.</returns>
    public static Sleep SleepUntil(Instant deadline) => new(RequireTime("Time.SleepUntil"), deadline);

    /// <summary>Creates an interval whose first tick is now.</summary>
    /// <param name="period">Time between ticks; must be positive.</param>
    /// <returns>The interval.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is zero or negative.</exception>
    public static Interval Interval(TimeSpan period)
    {
        RuntimeCore runtime = RequireTime("Time.Interval");
        return new Interval(runtime, Instant.FromTicks(runtime.Clock.NowTicks), period);
    }

    /// <summary>Creates an interval whose first tick is at <paramref name="start"/>.</summary>
    /// <param name="start">The first tick.</param>
    /// <param name="period">Time between ticks; must be positive.</param>
    /// <returns>The interval.</returns>
    public static Interval IntervalAt(Instant start, TimeSpan period) => new(RequireTime("Time.IntervalAt"), start, period);

    /// <summary>
    /// Runs <paramref name="operation"/> with a deadline. At the deadline every Spindle await inside it
    /// throws <see cref="OperationCanceledException"/> and the token it was given is cancelled; the
    /// cancellation then surfaces from this method as <see cref="TimeoutException"/>.
    /// </summary>
    /// <typeparam name="T">The operation's result.</typeparam>
    /// <param name="duration">Time allowed: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/> for no deadline (a scope that only passes on abort and enclosing timeouts).</param>
    /// <param name="operation">The operation; pass the token on to foreign awaits.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="TimeoutException">The deadline passed first.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> a timeout is a cancellation scope: work inside it is cancelled, not
    /// abandoned; its <c>finally</c> blocks run before this method throws. Tasks spawned inside are not
    /// covered (as in tokio). The token given to the operation is also cancelled when an enclosing
    /// timeout expires or the task is aborted, so a foreign await that takes it ends then too.</para>
    /// <para><b>Precision:</b> the deadline is counted as <see cref="SleepAsync"/> counts it, from this call.</para>
    /// <para><b>An operation that does not wait:</b> the timer is set only when the operation first waits
    /// (as tokio polls the operation before its timer), so one that finishes without waiting costs no timer
    /// and returns its result even if the deadline passed while it ran; one whose deadline passed before it
    /// first waited times out at that wait.</para>
    /// </remarks>
    /// <example><code>int n = await Time.TimeoutAsync(TimeSpan.FromSeconds(1), ct => ReadCountAsync(ct));</code></example>
    // Async lambdas convert to both Task and ValueTask delegates; prefer the Task form (their natural type).
    [OverloadResolutionPriority(1)]
    public static Task<T> TimeoutAsync<T>(TimeSpan duration, Func<CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return TimeoutCoreAsync(duration, static (op, ct) => new ValueTask<T>(((Func<CancellationToken, Task<T>>)op)(ct)), operation);
    }

    /// <summary>Runs an operation with a deadline (see <see cref="TimeoutAsync{T}(TimeSpan, Func{CancellationToken, Task{T}})"/>).</summary>
    /// <param name="duration">Time allowed: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/> for no deadline (a scope that only passes on abort and enclosing timeouts).</param>
    /// <param name="operation">The operation.</param>
    /// <returns>A task that completes when the operation does.</returns>
    /// <exception cref="TimeoutException">The deadline passed first.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public static Task TimeoutAsync(TimeSpan duration, Func<CancellationToken, Task> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return TimeoutCoreAsync(duration, static async (op, ct) => { await ((Func<CancellationToken, Task>)op)(ct).ConfigureAwait(true); return true; }, operation);
    }

    /// <summary>Runs a value-task operation with a deadline (see <see cref="TimeoutAsync{T}(TimeSpan, Func{CancellationToken, Task{T}})"/>).</summary>
    /// <typeparam name="T">The operation's result.</typeparam>
    /// <param name="duration">Time allowed: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/> for no deadline (a scope that only passes on abort and enclosing timeouts).</param>
    /// <param name="operation">The operation.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="TimeoutException">The deadline passed first.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public static Task<T> TimeoutAsync<T>(TimeSpan duration, Func<CancellationToken, ValueTask<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return TimeoutCoreAsync(duration, static (op, ct) => ((Func<CancellationToken, ValueTask<T>>)op)(ct), operation);
    }

    private static async Task<T> TimeoutCoreAsync<T>(TimeSpan duration, Func<object, CancellationToken, ValueTask<T>> invoke, object operation)
    {
        RuntimeCore runtime = RequireTime("Time.TimeoutAsync");
        // As Task.WaitAsync and CancelAfter: InfiniteTimeSpan means no deadline; any other negative is a mistake.
        bool timed = duration != Timeout.InfiniteTimeSpan;
        if (timed && duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration,
                "A timeout must be zero or positive, or Timeout.InfiniteTimeSpan for none.");
        }

        TaskCore? task = TaskCore.Current;
        var scope = new TimeoutScope(runtime, task, TimeoutScope.Current, duration);
        // Flows into the operation only: async methods restore the caller's async-locals on return.
        TimeoutScope.Current = scope;
        task?.EnterScope();
        try
        {
            long now = 0;
            long deadline = timed ? runtime.Clock.DeadlineAfter(duration, out now) : 0;
            ValueTask<T> pending = invoke(operation, scope.Token);
            if (!pending.IsCompleted)
            {
                // The timer goes into the wheel only when the operation waits, as tokio registers a timeout's
                // timer at its first pending poll: one that finishes at once never touches the timer driver.
                // The deadline still counts from the reading above, taken before the operation started.
                scope.Watch(deadline, now, timed);
            }

            return await pending.ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (scope.IsExpired && !(task?.IsAbortRequested ?? false))
        {
            throw new TimeoutException($"The operation did not finish within {duration.TotalMilliseconds:F0} ms; it was cancelled at the deadline.");
        }
        finally
        {
            task?.ExitScope();
            scope.Dispose();
        }
    }

    /// <summary>Pauses the runtime clock: time moves only through <see cref="AdvanceAsync"/> or auto-advance when idle.</summary>
    /// <exception cref="InvalidOperationException">Already paused, or no runtime.</exception>
    public static void Pause() => RequireTime("Time.Pause").Clock.Pause();

    /// <summary>Resumes a paused clock; time continues from where it stopped.</summary>
    /// <exception cref="InvalidOperationException">Not paused, or no runtime.</exception>
    public static void Resume() => RequireTime("Time.Resume").Clock.Resume();

    /// <summary>Moves a paused clock forward, fires the timers now due, and yields so woken tasks run.</summary>
    /// <param name="duration">How far to move; must not be negative.</param>
    /// <returns>A value task that completes after the woken tasks had a chance to run.</returns>
    /// <exception cref="InvalidOperationException">The clock is not paused.</exception>
    public static async ValueTask AdvanceAsync(TimeSpan duration)
    {
        RuntimeCore runtime = RequireTime("Time.AdvanceAsync");
        runtime.Clock.Advance(duration);
        runtime.Time.ProcessExpired();
        await SpindleTask.YieldAsync();
    }

    internal static RuntimeCore RequireTime(string operation)
    {
        RuntimeCore? runtime = RuntimeCore.Current;
        if (runtime is null)
        {
            ThrowHelper.ThrowNoRuntime(operation);
        }

        if (!runtime.Options.EnableTime)
        {
            throw new InvalidOperationException($"{operation} needs the time driver, which this runtime was built without. Call RuntimeBuilder.EnableTime() before Build().");
        }

        return runtime;
    }
}
