using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Streams.Internal;

namespace Spindle.Streams;

/// <summary>Async streams that are not built from one existing object: merges of many sources, and process signals.</summary>
/// <remarks><para><b>Thread safety:</b> the methods are thread-safe; each returned enumerable may be enumerated many times.</para></remarks>
public static class AsyncStreams
{
    /// <summary>Merges many streams fairly: sources with items ready are served in the order they became ready, so none starves another.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="sources">The sources.</param>
    /// <returns>A stream of every source's items; it ends when all have ended and fails when any fails (the others are then cancelled and disposed).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sources"/> or one of them is null.</exception>
    /// <remarks>
    /// <para>Built on <see cref="StreamMap{TKey, T}"/>: a source's read stays in flight until it completes,
    /// so an item is never dropped because another source was faster.</para>
    /// <para><b>Cancellation:</b> when the token fires, every source's read is cancelled, the items the
    /// sources had already produced are yielded, then <see cref="OperationCanceledException"/> is thrown.
    /// Disposing early (a <c>break</c>) drops at most one produced-but-unyielded item per source.</para>
    /// <para>System.Interactive.Async's <c>AsyncEnumerableEx.Merge</c> also merges, but it is not
    /// documented fair and is not the one Spindle tests; this one is.</para>
    /// </remarks>
    public static IAsyncEnumerable<T> Merge<T>(params IAsyncEnumerable<T>[] sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Merge((IEnumerable<IAsyncEnumerable<T>>)sources);
    }

    /// <summary>Merges many streams fairly; see <see cref="Merge{T}(IAsyncEnumerable{T}[])"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="sources">The sources; enumerated once, now.</param>
    /// <returns>A stream of every source's items.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sources"/> or one of them is null.</exception>
    public static IAsyncEnumerable<T> Merge<T>(IEnumerable<IAsyncEnumerable<T>> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        IAsyncEnumerable<T>[] snapshot = [.. sources];
        foreach (IAsyncEnumerable<T> source in snapshot)
        {
            ArgumentNullException.ThrowIfNull(source, nameof(sources));
        }

        return new MergeStream<T>(snapshot);
    }

    /// <summary>A stream with one item per delivery of <paramref name="signal"/>, listening from the start of each enumeration until its end.</summary>
    /// <param name="signal">The signal, e.g. <see cref="PosixSignal.SIGHUP"/>.</param>
    /// <returns>The signal, once per delivery; the stream does not end by itself.</returns>
    /// <remarks>
    /// <para>Each enumeration owns a <see cref="SignalListener"/>, disposed when the enumeration ends,
    /// which restores the default action. Deliveries that arrive while the consumer is busy are
    /// counted by the listener, not lost. To stream an existing listener use
    /// <see cref="SpindleStreamExtensions.ToAsyncEnumerable(SignalListener)"/>.</para>
    /// <para><b>Cancellation:</b> ends the wait; the listener is disposed.</para>
    /// </remarks>
    /// <exception cref="PlatformNotSupportedException">The signal is not supported on this platform (at the first step).</exception>
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    public static IAsyncEnumerable<PosixSignal> Signal(PosixSignal signal) => new ContextStream<PosixSignal>(SignalCore(signal, default));

    /// <summary>A stream with one item per Ctrl+C (SIGINT), suppressing the default termination while it is enumerated.</summary>
    /// <returns><see cref="PosixSignal.SIGINT"/> once per press; the stream does not end by itself.</returns>
    /// <remarks><para><b>Cancellation:</b> the handler is removed when the enumeration ends; later presses terminate the process as usual.</para></remarks>
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    public static IAsyncEnumerable<PosixSignal> CtrlC() => new ContextStream<PosixSignal>(SignalCore(PosixSignal.SIGINT, default));

    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    private static async IAsyncEnumerable<PosixSignal> SignalCore(PosixSignal signal, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using SignalListener listener = Signals.Listen(signal);
        while (await listener.RecvAsync(cancellationToken))
        {
            yield return signal;
        }
    }
}
