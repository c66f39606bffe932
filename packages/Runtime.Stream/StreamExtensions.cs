using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Streams.Internal;
using Spindle.Sync;
using Spindle.Time;
using RtTime = Spindle.Time.Time;

namespace Spindle.Streams;

/// <summary>
/// Combinators on <see cref="IAsyncEnumerable{T}"/> that neither the .NET 10 base library
/// (<c>System.Linq.AsyncEnumerable</c>) nor System.Interactive.Async offer, timed on the Spindle
/// runtime's clock (so the paused clock drives them in tests). Enumerate them on a Spindle task.
/// </summary>
/// <remarks>
/// <para><b>Cancellation:</b> every combinator passes the enumeration's token to its sources. The
/// timed ones keep a source's read in flight across timer expiries (an item is never dropped because
/// a timer won a race); when the token fires they cancel the source's read, yield what the source had
/// already produced (and, for <see cref="ChunksTimeout"/>, the partial chunk), then throw
/// <see cref="OperationCanceledException"/>. Sources must honour their cancellation token.</para>
/// <para><b>Thread safety:</b> the enumerables may be enumerated any number of times, concurrently;
/// each enumerator is used by one consumer at a time, as usual.</para>
/// </remarks>
public static class StreamExtensions
{
    /// <summary>Merges two streams fairly: when both have items ready they alternate.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="first">The first source.</param>
    /// <param name="second">The second source.</param>
    /// <returns>A stream of both sources' items; it ends when both have ended and fails when either fails.</returns>
    /// <exception cref="ArgumentNullException">A source is null.</exception>
    /// <remarks><para>See <see cref="AsyncStreams.Merge{T}(IAsyncEnumerable{T}[])"/>.</para></remarks>
    public static IAsyncEnumerable<T> Merge<T>(this IAsyncEnumerable<T> first, IAsyncEnumerable<T> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return AsyncStreams.Merge(first, second);
    }

    /// <summary>
    /// Passes the source's items through and inserts one elapsed marker (<see cref="TimeoutItem{T}.IsElapsed"/>)
    /// when no item arrives within <paramref name="duration"/> of the previous one (or of the start);
    /// the stream continues (tokio-stream's <c>timeout</c>).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="duration">The longest gap before a marker.</param>
    /// <returns>The items and markers; at most one marker per gap.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    /// <remarks>
    /// <para>Unlike System.Interactive.Async's <c>Timeout</c>, this one neither throws nor ends the
    /// stream, and it runs on the runtime clock. If both packages are imported, call it as
    /// <c>StreamExtensions.Timeout(source, duration)</c>.</para>
    /// <para><b>Cancellation:</b> see <see cref="StreamExtensions"/>.</para>
    /// </remarks>
    public static IAsyncEnumerable<TimeoutItem<T>> Timeout<T>(this IAsyncEnumerable<T> source, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return new ContextStream<TimeoutItem<T>>(TimeoutCore(source, duration, repeating: false, default));
    }

    /// <summary>
    /// Passes the source's items through and inserts an elapsed marker (<see cref="TimeoutItem{T}.IsElapsed"/>)
    /// every <paramref name="period"/> while no item arrives (tokio-stream's <c>timeout_repeating</c>).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="period">The gap before the first marker and between markers.</param>
    /// <returns>The items and markers.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive.</exception>
    /// <remarks>
    /// <para>Each item restarts the period. The next marker is due a full period after the previous
    /// one was yielded (missed periods are not burst, like <see cref="MissedTickBehavior.Delay"/>).</para>
    /// <para><b>Cancellation:</b> see <see cref="StreamExtensions"/>.</para>
    /// </remarks>
    public static IAsyncEnumerable<TimeoutItem<T>> TimeoutRepeating<T>(this IAsyncEnumerable<T> source, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return new ContextStream<TimeoutItem<T>>(TimeoutCore(source, period, repeating: true, default));
    }

    /// <summary>
    /// Yields the source's items no faster than one per <paramref name="duration"/> (tokio-stream's
    /// <c>throttle</c>): after an item, the source is not read again until the duration has passed.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="duration">The least time between two items.</param>
    /// <returns>Every item of the source, none dropped, spaced out.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    /// <remarks><para><b>Cancellation:</b> the source is read only after the pause, so a cancelled pause
    /// takes nothing; a cancelled read behaves as the source documents (Spindle's receivers take
    /// nothing).</para></remarks>
    public static IAsyncEnumerable<T> Throttle<T>(this IAsyncEnumerable<T> source, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return new ContextStream<T>(ThrottleCore(source, duration, default));
    }

    /// <summary>
    /// Groups the source's items into chunks, yielding a chunk when it holds
    /// <paramref name="maxSize"/> items or when <paramref name="duration"/> has passed since its first
    /// item, whichever comes first (tokio-stream's <c>chunks_timeout</c>).
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="maxSize">The most items in a chunk; at least 1.</param>
    /// <param name="duration">How long the first item of a chunk may wait.</param>
    /// <returns>Non-empty chunks (a new array each); the last, possibly short, chunk when the source ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is less than 1 or <paramref name="duration"/> is negative.</exception>
    /// <remarks><para><b>Cancellation:</b> the partial chunk is yielded before
    /// <see cref="OperationCanceledException"/>; see <see cref="StreamExtensions"/>.</para></remarks>
    public static IAsyncEnumerable<IReadOnlyList<T>> ChunksTimeout<T>(this IAsyncEnumerable<T> source, int maxSize, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return new ContextStream<IReadOnlyList<T>>(ChunksTimeoutCore(source, maxSize, duration, default));
    }

    /// <summary>
    /// Wraps each item in a <see cref="RecvResult{T}"/> and adds one empty result when the source ends
    /// (tokio-stream's <c>StreamNotifyClose</c>), e.g. so a <see cref="StreamMap{TKey, T}"/> consumer
    /// learns which key closed.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The source.</param>
    /// <returns>The items as results with a value, then one result without a value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <remarks><para><b>Cancellation:</b> no end marker is added when the enumeration is cancelled or the source fails.</para></remarks>
    public static IAsyncEnumerable<RecvResult<T>> NotifyClose<T>(this IAsyncEnumerable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ContextStream<RecvResult<T>>(NotifyCloseCore(source, default));
    }

    private static async IAsyncEnumerable<RecvResult<T>> NotifyCloseCore<T>(IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (T item in source.WithCancellation(cancellationToken))
        {
            yield return new RecvResult<T>(item);
        }

        yield return default;
    }

    private static async IAsyncEnumerable<T> ThrottleCore<T>(IAsyncEnumerable<T> source, TimeSpan duration, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using IAsyncEnumerator<T> enumerator = source.GetAsyncEnumerator(cancellationToken);
        Instant? next = null;
        while (true)
        {
            if (next is { } due)
            {
                await RtTime.SleepUntilAsync(due, cancellationToken);
            }

            if (!await enumerator.MoveNextAsync())
            {
                yield break;
            }

            next = RtTime.Now + duration;
            yield return enumerator.Current;
        }
    }

    private static async IAsyncEnumerable<TimeoutItem<T>> TimeoutCore<T>(IAsyncEnumerable<T> source, TimeSpan duration, bool repeating, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // State: the source's read stays in flight across expiries; `watching` is true while a marker
        // may still be yielded for the current gap. Item first when both are ready (an item restarts
        // the gap), as tokio polls the inner stream before the deadline.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wake = new Notify();
        Func<ValueTask> waitForWake = () => wake.NotifiedAsync(default);
        var reader = new SourceReader<T>(source.GetAsyncEnumerator(stop.Token), _ => wake.NotifyOne());
        var timer = new DeadlineTimer(wake.NotifyOne, stop.Token);
        Instant deadline = RtTime.Now + duration;
        bool watching = true;
        bool draining = false;
        try
        {
            while (true)
            {
                if (!draining && cancellationToken.IsCancellationRequested)
                {
                    draining = true;
                    await stop.CancelAsync();
                }

                if (!reader.IsPending)
                {
                    if (draining)
                    {
                        throw new OperationCanceledException(cancellationToken);
                    }

                    reader.Start();
                }

                if (reader.IsCompleted)
                {
                    switch (Take(reader, stop.Token))
                    {
                        case Outcome.Ended:
                            yield break;
                        case Outcome.Cancelled:
                            throw new OperationCanceledException(cancellationToken);
                    }

                    yield return new TimeoutItem<T>(reader.Current);
                    deadline = RtTime.Now + duration;
                    watching = true;
                    continue;
                }

                if (timer.IsCompleted)
                {
                    ConsumeTimer(timer);
                    continue;
                }

                if (!draining && watching)
                {
                    if (RtTime.Now >= deadline)
                    {
                        yield return default; // the elapsed marker
                        if (repeating)
                        {
                            deadline = RtTime.Now + duration;
                        }
                        else
                        {
                            watching = false;
                        }

                        continue;
                    }

                    timer.Arm(deadline);
                }

                // Awaited here rather than in a helper: an async helper method would allocate its
                // state machine box on every wait that suspends.
                try
                {
                    await wake.NotifiedAsync(draining ? default : cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Handled at the top of the loop: start draining.
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reader.DisposeAsync(waitForWake);
            await timer.DisposeAsync(waitForWake);
        }
    }

    private static async IAsyncEnumerable<IReadOnlyList<T>> ChunksTimeoutCore<T>(IAsyncEnumerable<T> source, int maxSize, TimeSpan duration, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The buffer is reused; each chunk is a fresh exact-size array the consumer owns.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wake = new Notify();
        Func<ValueTask> waitForWake = () => wake.NotifiedAsync(default);
        var reader = new SourceReader<T>(source.GetAsyncEnumerator(stop.Token), _ => wake.NotifyOne());
        var timer = new DeadlineTimer(wake.NotifyOne, stop.Token);
        var buffer = new List<T>(Math.Min(maxSize, 1024));
        Instant deadline = default;
        bool draining = false;
        try
        {
            while (true)
            {
                if (!draining && cancellationToken.IsCancellationRequested)
                {
                    draining = true;
                    await stop.CancelAsync();
                }

                if (!reader.IsPending && !draining)
                {
                    reader.Start();
                }

                if (reader.IsCompleted)
                {
                    Outcome outcome = Take(reader, stop.Token);
                    if (outcome == Outcome.Item)
                    {
                        buffer.Add(reader.Current);
                        if (buffer.Count == 1)
                        {
                            deadline = RtTime.Now + duration;
                        }

                        if (buffer.Count < maxSize)
                        {
                            continue;
                        }
                    }

                    if (buffer.Count > 0)
                    {
                        T[] chunk = [.. buffer];
                        buffer.Clear();
                        yield return chunk;
                    }

                    if (outcome == Outcome.Ended)
                    {
                        yield break;
                    }

                    if (outcome == Outcome.Cancelled)
                    {
                        throw new OperationCanceledException(cancellationToken);
                    }

                    continue;
                }

                if (draining && !reader.IsPending)
                {
                    if (buffer.Count > 0)
                    {
                        T[] chunk = [.. buffer];
                        buffer.Clear();
                        yield return chunk;
                    }

                    throw new OperationCanceledException(cancellationToken);
                }

                if (timer.IsCompleted)
                {
                    ConsumeTimer(timer);
                    continue;
                }

                if (buffer.Count > 0 && !draining)
                {
                    if (RtTime.Now >= deadline)
                    {
                        T[] chunk = [.. buffer];
                        buffer.Clear();
                        yield return chunk;
                        continue;
                    }

                    timer.Arm(deadline);
                }

                // Awaited here rather than in a helper: an async helper method would allocate its
                // state machine box on every wait that suspends.
                try
                {
                    await wake.NotifiedAsync(draining ? default : cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Handled at the top of the loop: start draining.
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reader.DisposeAsync(waitForWake);
            await timer.DisposeAsync(waitForWake);
        }
    }

    private static void ConsumeTimer(DeadlineTimer timer)
    {
        try
        {
            timer.Consume();
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the stop token while draining; the loop decides what comes next.
        }
    }

    private static Outcome Take<T>(SourceReader<T> reader, CancellationToken stop)
    {
        try
        {
            return reader.TakeResult() ? Outcome.Item : Outcome.Ended;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return Outcome.Cancelled;
        }
    }

    private enum Outcome
    {
        Item,
        Ended,
        Cancelled,
    }
}
