using System;

namespace Spindle.IO;

/// <summary>
/// The readiness an <see cref="AsyncFd"/> wait observed (tokio's <c>AsyncFdReadyGuard</c>). After an
/// I/O call on the descriptor would block, call <see cref="ClearReady"/> (or let
/// <see cref="TryIo{TState, TResult}"/> do it) so the next wait really waits; if the readiness is
/// still valid, do nothing (<see cref="RetainReady"/>).
/// </summary>
public readonly struct AsyncFdReadyGuard : IEquatable<AsyncFdReadyGuard>
{
    private readonly IoRegistration _registration;

    internal AsyncFdReadyGuard(IoRegistration registration, ReadyEvent ready)
    {
        _registration = registration;
        Event = ready;
    }

    /// <summary>The readiness seen.</summary>
    public ReadyEvent Event { get; }

    /// <summary>The ready bits seen.</summary>
    public Ready Ready => Event.Ready;

    /// <summary>Forgets this readiness: the next wait waits for the driver's next report (unless one arrived since).</summary>
    public void ClearReady() => _registration?.ClearReadiness(Event);

    /// <summary>Keeps the readiness, so the next wait returns at once. (Readiness is kept unless cleared; this states the intent.)</summary>
#pragma warning disable CA1822 // An instance member: it states what the caller does with this guard.
    public void RetainReady()
    {
    }
#pragma warning restore CA1822

    /// <summary>
    /// Runs one non-blocking attempt; if it would block, clears the readiness and returns false.
    /// </summary>
    /// <typeparam name="TState">State for the attempt.</typeparam>
    /// <typeparam name="TResult">What the operation produces.</typeparam>
    /// <param name="state">Passed to <paramref name="attempt"/>.</param>
    /// <param name="attempt">The non-blocking call (returns false on EAGAIN).</param>
    /// <param name="result">Its result when it completed.</param>
    /// <returns>True when the attempt completed.</returns>
    public bool TryIo<TState, TResult>(TState state, IoAttempt<TState, TResult> attempt, out TResult result)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (attempt(state, out result))
        {
            return true;
        }

        ClearReady();
        return false;
    }

    /// <inheritdoc/>
    public bool Equals(AsyncFdReadyGuard other) => ReferenceEquals(_registration, other._registration) && Event == other.Event;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AsyncFdReadyGuard other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Event.GetHashCode();

    /// <summary>Compares two guards.</summary>
    /// <param name="left">The first guard.</param>
    /// <param name="right">The second guard.</param>
    /// <returns>Whether they are for the same registration and event.</returns>
    public static bool operator ==(AsyncFdReadyGuard left, AsyncFdReadyGuard right) => left.Equals(right);

    /// <summary>Compares two guards.</summary>
    /// <param name="left">The first guard.</param>
    /// <param name="right">The second guard.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(AsyncFdReadyGuard left, AsyncFdReadyGuard right) => !left.Equals(right);
}
