using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// A FIFO-fair asynchronous counting semaphore whose permits are disposable values (tokio's
/// <c>sync::Semaphore</c>). Waiting is a Spindle leaf: it consumes coop budget, ends at once when
/// the task is aborted or its timeout expires, and shows in task listings as <c>semaphore</c>.
/// </summary>
/// <remarks>
/// <para><b>Fairness:</b> permits go to waiters strictly in arrival order; a waiter asking for many
/// permits holds back the ones behind it until it is served, so large requests cannot starve.</para>
/// <para><b>Thread safety:</b> every member is safe to call from any thread, inside or outside a runtime.</para>
/// </remarks>
/// <example>
/// <code>
/// var connections = new AsyncSemaphore(10);
/// using SemaphorePermit permit = await connections.AcquireAsync();
/// await QueryAsync();
/// </code>
/// </example>
public sealed class AsyncSemaphore : IWaitResult<SemaphorePermit>
{
    /// <summary>The largest number of permits a semaphore can hold.</summary>
    public const int MaxPermits = int.MaxValue;

    private readonly FairSemaphore _core;

    /// <summary>Creates a semaphore with <paramref name="permits"/> available permits.</summary>
    /// <param name="permits">The initial number of permits (zero or more).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permits"/> is negative.</exception>
    public AsyncSemaphore(int permits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permits);
        _core = new FairSemaphore(permits, "semaphore");
    }

    /// <summary>Gets the number of permits available now (a snapshot).</summary>
    public int AvailablePermits => _core.Available;

    /// <summary>Gets whether <see cref="Close"/> has been called.</summary>
    public bool IsClosed => _core.IsClosed;

    /// <summary>Waits for one permit.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The permit; dispose it to give it back.</returns>
    /// <remarks>
    /// <para><b>Cancellation:</b> if the wait is cancelled (token, task abort or timeout) no permit is
    /// taken and the waiter leaves the queue; permits that its place was holding back go to the
    /// waiters behind it.</para>
    /// <para><b>Exceptions:</b> <see cref="SemaphoreClosedException"/> if the semaphore is or becomes
    /// closed; <see cref="OperationCanceledException"/> on cancellation.</para>
    /// </remarks>
    public ValueTask<SemaphorePermit> AcquireAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        AcquireManyAsync(1, cancellationToken, callerFilePath, callerLineNumber, callerMemberName);

    /// <summary>Waits for <paramref name="count"/> permits at once.</summary>
    /// <param name="count">How many permits (one or more).</param>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The permits; dispose the value to give them all back.</returns>
    /// <remarks>
    /// <para><b>Cancellation:</b> if the wait is cancelled no permit is taken and the waiter leaves
    /// the queue; permits that its place was holding back go to the waiters behind it.</para>
    /// <para><b>Exceptions:</b> <see cref="SemaphoreClosedException"/> if the semaphore is or becomes
    /// closed; <see cref="OperationCanceledException"/> on cancellation.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is zero or negative.</exception>
    public ValueTask<SemaphorePermit> AcquireManyAsync(int count, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return _core.AcquireAsync(count, this, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    SemaphorePermit IWaitResult<SemaphorePermit>.Produce(bool acquired, int amount)
    {
        if (!acquired)
        {
            throw new SemaphoreClosedException();
        }

        return new SemaphorePermit(this, amount);
    }

    /// <summary>Takes one permit if one is free and nobody is queued ahead; never waits.</summary>
    /// <param name="permit">The permit, when acquired.</param>
    /// <returns>Whether a permit was acquired (false also when closed).</returns>
    public bool TryAcquire(out SemaphorePermit permit) => TryAcquireMany(1, out permit);

    /// <summary>Takes <paramref name="count"/> permits if they are free and nobody is queued ahead; never waits.</summary>
    /// <param name="count">How many permits (one or more).</param>
    /// <param name="permit">The permits, when acquired.</param>
    /// <returns>Whether the permits were acquired (false also when closed).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is zero or negative.</exception>
    public bool TryAcquireMany(int count, out SemaphorePermit permit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        bool acquired = _core.TryAcquire(count);
        permit = acquired ? new SemaphorePermit(this, count) : default;
        return acquired;
    }

    /// <summary>Waits for one permit from synchronous code outside the runtime (tokio's <c>blocking_acquire</c>-style form).</summary>
    /// <returns>The permit.</returns>
    /// <exception cref="InvalidOperationException">Called on a runtime thread (a task, worker or BlockOn thread).</exception>
    /// <exception cref="SemaphoreClosedException">The semaphore is or becomes closed.</exception>
    public SemaphorePermit BlockingAcquire()
    {
        BlockingWait.EnsureOffRuntime(nameof(BlockingAcquire));
        return BlockingWait.Wait(AcquireAsync());
    }

    /// <summary>Adds permits (e.g. to grow a pool), handing them to waiters in order.</summary>
    /// <param name="count">How many permits to add (zero or more).</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or the total would exceed <see cref="MaxPermits"/>.</exception>
    public void AddPermits(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!_core.TryRelease(count, MaxPermits, out int available))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"Adding {count} permits to the {available} available would exceed MaxPermits ({MaxPermits}). Add fewer, or forget some first (ForgetPermits).");
        }
    }

    /// <summary>Removes up to <paramref name="count"/> available permits for good (tokio's <c>forget_permits</c>).</summary>
    /// <param name="count">How many to remove at most.</param>
    /// <returns>How many were removed (no more than were available).</returns>
    public int ForgetPermits(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return _core.Forget(count);
    }

    /// <summary>
    /// Closes the semaphore: every waiter and every later acquisition throws
    /// <see cref="SemaphoreClosedException"/>; permits already held can still be disposed.
    /// </summary>
    public void Close() => _core.Close();

    internal void Release(int count) => _core.Release(count);

    /// <inheritdoc/>
    public override string ToString() => $"AsyncSemaphore({AvailablePermits} available{(IsClosed ? ", closed" : "")})";
}
