using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using System.Threading;
using Spindle.Net;
using Spindle.Streams.Internal;
using Spindle.Sync;
using Spindle.Time;

namespace Spindle.Streams;

/// <summary>
/// <c>ToAsyncEnumerable()</c> adapters for the runtime's types, which expose inherent async methods
/// only (<c>RecvAsync</c>, <c>TickAsync</c>, <c>JoinNextAsync</c>), and line streams of readers.
/// </summary>
/// <remarks>
/// <para><b>Ownership:</b> an adapter reads the object it was given and never disposes it; the
/// enumeration may be restarted, and reading continues where the previous one stopped.</para>
/// <para><b>Cancellation:</b> the enumeration's token (<c>WithCancellation</c>) is passed to each wait.
/// The Spindle waits are cancel-safe: a cancelled step takes nothing, so an item sent meanwhile stays in
/// the channel for the next reader.</para>
/// <para><b>Thread safety:</b> the underlying receivers allow one reader at a time, so run one
/// enumeration of a receiver at a time.</para>
/// </remarks>
public static class SpindleStreamExtensions
{
    /// <summary>A stream of the messages of an mpsc receiver, ending when the channel is closed and drained.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="receiver">The receiver; not disposed by the stream.</param>
    /// <returns>The messages, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="receiver"/> is null.</exception>
    /// <remarks><para><b>Cancellation:</b> cancel-safe; see <see cref="MpscReceiver{T}.RecvAsync"/>.</para></remarks>
    public static IAsyncEnumerable<T> ToAsyncEnumerable<T>(this MpscReceiver<T> receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        return new ContextStream<T>(MpscCore(receiver, default), handsOverItems: true);
    }

    /// <summary>
    /// A stream of a broadcast receiver: each item is a <see cref="BroadcastResult{T}"/> with either a
    /// value (<see cref="BroadcastStatus.Value"/>) or a lag report (<see cref="BroadcastStatus.Lagged"/>,
    /// with <see cref="BroadcastResult{T}.LaggedBy"/>), after which the stream continues with the oldest
    /// value still held. It ends when every sender is gone and every value was read.
    /// </summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="receiver">The receiver; not disposed by the stream.</param>
    /// <returns>Values and lag reports; never <see cref="BroadcastStatus.Closed"/> or <see cref="BroadcastStatus.Empty"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="receiver"/> is null.</exception>
    /// <remarks>
    /// <para>Lag is an item, not an exception, so a consumer handles it and keeps going without
    /// restarting the enumeration; use <see cref="BroadcastResult{T}.TryGetValue"/> to tell the two apart.</para>
    /// <para><b>Cancellation:</b> cancel-safe; see <see cref="BroadcastReceiver{T}.RecvAsync"/>.</para>
    /// </remarks>
    public static IAsyncEnumerable<BroadcastResult<T>> ToAsyncEnumerable<T>(this BroadcastReceiver<T> receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        return new ContextStream<BroadcastResult<T>>(BroadcastCore(receiver, default));
    }

    /// <summary>A stream of the values of a watch receiver, ending when the sender is gone.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="receiver">The receiver; not disposed by the stream. Each value yielded is marked seen.</param>
    /// <param name="start">Whether the current value comes first, or only changes.</param>
    /// <returns>The values; intermediate values sent between two reads are skipped, as with any watch.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="receiver"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is not a defined value.</exception>
    /// <remarks><para><b>Cancellation:</b> cancel-safe; see <see cref="WatchReceiver{T}.ChangedAsync"/>.</para></remarks>
    public static IAsyncEnumerable<T> ToAsyncEnumerable<T>(this WatchReceiver<T> receiver, WatchStreamStart start = WatchStreamStart.CurrentValue)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        if (start is not (WatchStreamStart.CurrentValue or WatchStreamStart.ChangesOnly))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, "Use WatchStreamStart.CurrentValue or WatchStreamStart.ChangesOnly.");
        }

        return new ContextStream<T>(WatchCore(receiver, start, default));
    }

    /// <summary>A stream of an interval's ticks; it does not end by itself.</summary>
    /// <param name="interval">The interval; its <see cref="Interval.MissedTickBehavior"/> applies.</param>
    /// <returns>The instant each tick was scheduled for.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="interval"/> is null.</exception>
    /// <remarks><para><b>Cancellation:</b> a cancelled wait keeps the tick for the next one; see <see cref="Interval.TickAsync"/>.</para></remarks>
    public static IAsyncEnumerable<Instant> ToAsyncEnumerable(this Interval interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        return new ContextStream<Instant>(IntervalCore(interval, default));
    }

    /// <summary>A stream with one item per delivery to a signal listener, ending when the listener is disposed.</summary>
    /// <param name="listener">The listener; not disposed by the stream.</param>
    /// <returns>The listener's signal, once per delivery.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="listener"/> is null.</exception>
    /// <remarks><para><b>Cancellation:</b> a cancelled wait loses no delivery.</para></remarks>
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    public static IAsyncEnumerable<PosixSignal> ToAsyncEnumerable(this SignalListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return new ContextStream<PosixSignal>(SignalCore(listener, default));
    }

    /// <summary>A stream of a join set's outcomes in completion order, ending when the set is empty.</summary>
    /// <typeparam name="T">The tasks' result type.</typeparam>
    /// <param name="joinSet">The set; not disposed by the stream (disposing it aborts the tasks).</param>
    /// <returns>Each task's outcome (success, failure or abort), as <see cref="JoinSet{T}.JoinNextAsync"/> reports it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="joinSet"/> is null.</exception>
    /// <remarks>
    /// <para>Tasks spawned into the set while it is enumerated are included as long as the set was not
    /// empty at the step that would have ended the stream.</para>
    /// <para><b>Cancellation:</b> no outcome is lost; see <see cref="JoinSet{T}.JoinNextAsync"/>.</para>
    /// </remarks>
    public static IAsyncEnumerable<JoinResult<T>> ToAsyncEnumerable<T>(this JoinSet<T> joinSet)
    {
        ArgumentNullException.ThrowIfNull(joinSet);
        return new ContextStream<JoinResult<T>>(JoinSetCore(joinSet, default));
    }

    /// <summary>A stream of the connections <paramref name="listener"/> accepts, until it is disposed.</summary>
    /// <param name="listener">The listener; not disposed by the stream.</param>
    /// <returns>Each accepted connection (the caller owns and disposes it).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="listener"/> is null.</exception>
    /// <remarks>
    /// <para><b>End:</b> the stream ends when the listener is disposed (a pending accept is woken and the
    /// enumeration finishes normally).</para>
    /// <para><b>Errors:</b> an accept error (e.g. <see cref="System.Net.Sockets.SocketError.TooManyOpenSockets"/>)
    /// is thrown from <c>MoveNextAsync</c> and ends that enumeration; the listener stays usable, so enumerate
    /// it again to continue (after running out of descriptors its next accepts pause briefly, see
    /// <see cref="AsyncTcpListener"/>). Queued connections are not lost.</para>
    /// <para><b>Cancellation:</b> cancel safe: a cancelled step accepts nothing.</para>
    /// <para><b>Thread safety:</b> several enumerations may run at once; each connection goes to one of them.</para>
    /// </remarks>
    public static IAsyncEnumerable<TcpStream> ToAsyncEnumerable(this AsyncTcpListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return new ContextStream<TcpStream>(AcceptCore(static (l, ct) => l.AcceptAsync(ct), listener, default), handsOverItems: true);
    }

    /// <summary>A stream of the connections <paramref name="listener"/> accepts, until it is disposed.</summary>
    /// <param name="listener">The listener; not disposed by the stream.</param>
    /// <returns>Each accepted connection (the caller owns and disposes it).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="listener"/> is null.</exception>
    /// <remarks><para>Ends, fails and cancels as <see cref="ToAsyncEnumerable(AsyncTcpListener)"/> does.</para></remarks>
    public static IAsyncEnumerable<UnixStream> ToAsyncEnumerable(this UnixListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return new ContextStream<UnixStream>(AcceptCore(static (l, ct) => l.AcceptAsync(ct), listener, default), handsOverItems: true);
    }

    /// <summary>A stream of the lines of a text reader, ending at its end.</summary>
    /// <param name="reader">The reader; not disposed by the stream.</param>
    /// <returns>Each line without its terminator, as <see cref="TextReader.ReadLineAsync(CancellationToken)"/> splits them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    /// <remarks><para><b>Cancellation:</b> passed to <see cref="TextReader.ReadLineAsync(CancellationToken)"/>;
    /// whether a cancelled read loses buffered text is up to the reader (a <see cref="StreamReader"/> keeps
    /// its buffer). <b>Thread safety:</b> one enumeration at a time.</para></remarks>
    public static IAsyncEnumerable<string> ReadLinesAsync(this TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new ContextStream<string>(LinesCore(reader, ownsReader: false, default));
    }

    /// <summary>A stream of the lines of a byte stream (e.g. a socket's <see cref="Stream"/> view), ending at its end.</summary>
    /// <param name="stream">The stream; not disposed by the line stream.</param>
    /// <param name="encoding">The text encoding; UTF-8 (with byte-order-mark detection) when null.</param>
    /// <returns>Each line without its terminator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <remarks><para>Each enumeration reads through its own <see cref="StreamReader"/>, so text it
    /// buffered past the last line yielded is dropped when the enumeration ends early.
    /// <b>Thread safety:</b> one enumeration at a time.</para></remarks>
    public static IAsyncEnumerable<string> ReadLinesAsync(this Stream stream, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new ContextStream<string>(StreamLinesCore(stream, encoding ?? Encoding.UTF8, default));
    }

    private static async IAsyncEnumerable<T> MpscCore<T>(MpscReceiver<T> receiver, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while ((await receiver.RecvAsync(cancellationToken)).TryGetValue(out T? value))
        {
            yield return value!;
        }
    }

    private static async IAsyncEnumerable<BroadcastResult<T>> BroadcastCore<T>(BroadcastReceiver<T> receiver, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            BroadcastResult<T> result = await receiver.RecvAsync(cancellationToken);
            if (result.Status is BroadcastStatus.Closed or BroadcastStatus.Empty)
            {
                yield break;
            }

            yield return result;
        }
    }

    private static async IAsyncEnumerable<T> WatchCore<T>(WatchReceiver<T> receiver, WatchStreamStart start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (start == WatchStreamStart.CurrentValue)
        {
            yield return receiver.BorrowAndUpdate().Value;
        }

        while (await receiver.ChangedAsync(cancellationToken))
        {
            yield return receiver.BorrowAndUpdate().Value;
        }
    }

    private static async IAsyncEnumerable<Instant> IntervalCore(Interval interval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            yield return await interval.TickAsync(cancellationToken);
        }
    }

    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    private static async IAsyncEnumerable<PosixSignal> SignalCore(SignalListener listener, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await listener.RecvAsync(cancellationToken))
        {
            yield return listener.Signal;
        }
    }

    private static async IAsyncEnumerable<TStream> AcceptCore<TListener, TStream>(Func<TListener, CancellationToken, System.Threading.Tasks.ValueTask<TStream>> accept, TListener listener,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            TStream stream;
            try
            {
                stream = await accept(listener, cancellationToken);
            }
            catch (ObjectDisposedException)
            {
                // The listener was disposed: the end of the stream, not an error.
                yield break;
            }

            yield return stream;
        }
    }

    private static async IAsyncEnumerable<JoinResult<T>> JoinSetCore<T>(JoinSet<T> joinSet, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await joinSet.JoinNextAsync(cancellationToken) is { } result)
        {
            yield return result;
        }
    }

    private static async IAsyncEnumerable<string> LinesCore(TextReader reader, bool ownsReader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                yield return line;
            }
        }
        finally
        {
            if (ownsReader)
            {
                reader.Dispose();
            }
        }
    }

    private static async IAsyncEnumerable<string> StreamLinesCore(Stream stream, Encoding encoding, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true, bufferSize: -1, leaveOpen: true);
        await foreach (string line in LinesCore(reader, ownsReader: false, cancellationToken))
        {
            yield return line;
        }
    }
}
