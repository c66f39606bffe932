using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// The receiving side of a watch channel (see <see cref="Watch"/>): reads the latest value and waits
/// for newer ones. It remembers the version it has seen.
/// </summary>
/// <typeparam name="T">The value watched.</typeparam>
/// <remarks>
/// <para>
/// <b>Thread safety:</b> one consumer at a time: <see cref="ChangedAsync"/> and
/// <see cref="WaitForAsync"/> allow one pending wait, and the members that change the seen version
/// (<see cref="BorrowAndUpdate"/>, <see cref="MarkChanged"/>, <see cref="MarkUnchanged"/>) throw
/// <see cref="InvalidOperationException"/> while a wait is pending. <see cref="Borrow"/>,
/// <see cref="HasChanged"/>, <see cref="Clone"/> and <see cref="Dispose"/> are safe from any thread.
/// Give each consumer its own receiver (<see cref="Clone"/>).
/// </para>
/// </remarks>
public sealed class WatchReceiver<T> : IDisposable
{
    private readonly WatchCursor<T> _cursor;

    internal WatchReceiver(WatchCursor<T> cursor) => _cursor = cursor;

    /// <summary>
    /// Gets whether the value is newer than the version this receiver has seen. Unlike tokio's
    /// <c>has_changed</c> this does not fail once the sender is gone: it still reports a final value
    /// not yet seen; see <see cref="IsClosed"/> for the sender.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    public bool HasChanged => _cursor.Channel.HasChanged(_cursor);

    /// <summary>Gets whether the sender is gone (no newer value can come after the current one).</summary>
    public bool IsClosed => _cursor.Channel.IsClosed;

    /// <summary>
    /// Waits until a value newer than the one this receiver has seen exists, and marks it seen
    /// (tokio's <c>changed</c>). Completes at once if there already is one.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early; the seen version is unchanged.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>
    /// <see langword="true"/> when there is a newer value (read it with <see cref="Borrow"/>);
    /// <see langword="false"/> when the sender is gone and this receiver has seen its final value (or the
    /// receiver was disposed while waiting).
    /// </returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another wait of this receiver is pending.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the awaiting task was aborted or timed out.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> cancel-safe. A wait cancelled by the token, <c>JoinHandle.Abort()</c> or a
    /// timeout does not mark anything seen: the next call reports the same change. A call that completes
    /// synchronously takes a unit of the task's coop budget; when the budget is spent it yields first.</para>
    /// <para><b>Thread safety:</b> one wait at a time per receiver. Works outside a runtime too.</para>
    /// </remarks>
    public ValueTask<bool> ChangedAsync(CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null) =>
        _cursor.Channel.ChangedAsync(_cursor, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);

    /// <summary>Reads the current value without marking it seen (see <see cref="WatchRef{T}"/> for what is copied).</summary>
    /// <returns>The value, and whether it is newer than this receiver had seen.</returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    public WatchRef<T> Borrow() => _cursor.Channel.Borrow(_cursor, markSeen: false);

    /// <summary>Reads the current value and marks it seen (tokio's <c>borrow_and_update</c>).</summary>
    /// <returns>The value, and whether it was newer than this receiver had seen.</returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">A wait of this receiver is pending.</exception>
    public WatchRef<T> BorrowAndUpdate() => _cursor.Channel.Borrow(_cursor, markSeen: true);

    /// <summary>Makes this receiver treat the current value as not seen: the next <see cref="ChangedAsync"/> completes at once.</summary>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">A wait of this receiver is pending.</exception>
    public void MarkChanged() => _cursor.Channel.Mark(_cursor, changed: true);

    /// <summary>Marks the current value seen without reading it.</summary>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">A wait of this receiver is pending.</exception>
    public void MarkUnchanged() => _cursor.Channel.Mark(_cursor, changed: false);

    /// <summary>
    /// Waits for a value that satisfies <paramref name="predicate"/>, checking the current value first,
    /// and returns it (tokio's <c>wait_for</c>). Every value checked is marked seen.
    /// </summary>
    /// <param name="predicate">
    /// Tests a value. It runs on the calling task, outside the channel's lock, on a snapshot of the value
    /// (so it may borrow, or even send on the channel). It may not see every intermediate value: only the
    /// latest at each wake.
    /// </param>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The first value seen that satisfies the predicate.</returns>
    /// <exception cref="System.Threading.Channels.ChannelClosedException">The sender is gone and its final value does not satisfy the predicate.</exception>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another wait of this receiver is pending.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the awaiting task was aborted or timed out.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> the values already tested stay marked seen (they did not match); the
    /// value the cancelled wait was waiting for is not marked, so nothing that could match is lost.</para>
    /// <para><b>Thread safety:</b> one wait at a time per receiver.</para>
    /// </remarks>
    public ValueTask<T> WaitForAsync(Func<T, bool> predicate, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        T value = _cursor.Channel.SnapshotAndMarkSeen(_cursor, out _, out bool closed);
        // tokio's rule: the current value is always tested once, seen or not and whether or not the
        // sender is gone; after that, a closed channel only has a final value not yet seen to offer.
        if (predicate(value))
        {
            return Coop.TryConsume() ? new ValueTask<T>(value) : ReturnAfterYieldAsync(value);
        }

        if (closed)
        {
            ThrowHelper.ThrowWatchClosedBeforeMatch();
        }

        return WaitForChangeAsync(predicate, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<T> ReturnAfterYieldAsync(T value)
    {
        await SpindleTask.YieldAsync();
        return value;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> WaitForChangeAsync(Func<T, bool> predicate, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await _cursor.Channel.ChangedAsync(_cursor, file, line, member, cancellationToken).ConfigureAwait(true))
            {
                ThrowHelper.ThrowWatchClosedBeforeMatch();
            }

            T value = _cursor.Channel.SnapshotAndMarkSeen(_cursor, out _, out _);
            if (predicate(value))
            {
                return value;
            }
        }
    }

    /// <summary>Creates another receiver of the same channel that has seen the same version as this one (tokio's <c>clone</c>).</summary>
    /// <returns>A new receiver.</returns>
    /// <exception cref="ObjectDisposedException">The receiver was disposed.</exception>
    public WatchReceiver<T> Clone() => new(_cursor.Channel.Clone(_cursor));

    /// <summary>Drops the receiver: it no longer counts for <see cref="WatchSender{T}.ReceiverCount"/>, and a pending wait returns <see langword="false"/>.</summary>
    /// <remarks><para><b>Thread safety:</b> idempotent; safe to call from any thread.</para></remarks>
    public void Dispose() => _cursor.Channel.RemoveReceiver(_cursor);
}
