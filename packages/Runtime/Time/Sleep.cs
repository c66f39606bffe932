using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Scheduling;

namespace Spindle.Time;

/// <summary>
/// A resettable sleep on the runtime's timer wheel, like a pinned tokio <c>Sleep</c>: await it, move
/// its deadline with <see cref="Reset(Instant)"/> (even while it is awaited), await it again.
/// </summary>
/// <remarks>
/// <para><b>Cancellation:</b> if the awaiting task is aborted, times out, or the token fires, the
/// await throws <see cref="OperationCanceledException"/>; the timer is removed from the wheel and the
/// sleep can be awaited again.</para>
/// <para><b>Thread safety:</b> one awaiter at a time; reset from the task that owns it.</para>
/// <para>Allocation: none per reset or per await; one object per sleep.</para>
/// </remarks>
/// <example>
/// <code>
/// Sleep idle = Time.Sleep(TimeSpan.FromSeconds(30));
/// // on activity: idle.Reset(Instant.Now + TimeSpan.FromSeconds(30));
/// await idle;
/// </code>
/// </example>
public sealed class Sleep
{
    private readonly SleepTimer _timer;

    internal Sleep(RuntimeCore runtime, Instant deadline) => _timer = new SleepTimer(runtime, deadline.Ticks);

    /// <summary>Gets the instant the sleep ends.</summary>
    public Instant Deadline => Instant.FromTicks(_timer.DeadlineTicks);

    /// <summary>Gets whether the deadline has passed on the runtime clock.</summary>
    public bool IsElapsed => _timer.DeadlineTicks <= _timer.RuntimeOf().Clock.NowTicks;

    /// <summary>Moves the deadline; a pending await now ends at the new deadline.</summary>
    /// <param name="deadline">The new deadline.</param>
    public void Reset(Instant deadline) => _timer.Reset(deadline.Ticks);

    /// <summary>Moves the deadline to <paramref name="duration"/> from now.</summary>
    /// <param name="duration">Time from now.</param>
    /// <remarks><para><b>Precision:</b> as <c>Time.SleepAsync</c>: never early.</para></remarks>
    public void Reset(TimeSpan duration) => _timer.Reset(duration);

    /// <summary>Waits until the deadline.</summary>
    /// <param name="cancellationToken">Ends the wait early with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>A value task that completes at the deadline.</returns>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _timer.WaitAsync(callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Gets an awaiter so the sleep can be awaited directly.</summary>
    /// <returns>The awaiter.</returns>
#pragma warning disable CA2012 // The value task is consumed by the awaiter it is turned into.
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ValueTaskAwaiter GetAwaiter() => WaitAsync().GetAwaiter();
#pragma warning restore CA2012
}
