using System;

namespace Spindle.Sync;

/// <summary>
/// Creates multi-producer, single-consumer channels (tokio's <c>sync::mpsc</c>): any number of
/// senders queue messages in order, one receiver takes them. Every wait is a Spindle leaf (abort,
/// timeouts, the coop budget and task listings work), and a channel in steady state allocates nothing
/// per message.
/// </summary>
/// <remarks>
/// <para>
/// The channel ends when every strong sender is disposed (each <see cref="MpscSender{T}.Clone"/> must be
/// disposed too) or the receiver is closed or disposed. The receiver still gets the messages queued
/// before the end; after them <see cref="MpscReceiver{T}.RecvAsync"/> returns a
/// <see cref="RecvResult{T}"/> without a value.
/// </para>
/// <para><b>Thread safety:</b> all members are thread-safe.</para>
/// </remarks>
/// <example>
/// <code>
/// var (tx, rx) = Mpsc.Bounded&lt;int&gt;(16);
/// SpindleTask.Spawn(async () =&gt; { using (tx) { for (int i = 0; i &lt; 10; i++) { await tx.SendAsync(i); } } });
/// while ((await rx.RecvAsync()).TryGetValue(out int n)) { Console.WriteLine(n); }
/// </code>
/// </example>
public static class Mpsc
{
    /// <summary>
    /// Creates a channel that holds at most <paramref name="capacity"/> messages: a sender waits
    /// (<see cref="MpscSender{T}.SendAsync"/>) while it is full, which is how a slow receiver pushes back on fast senders.
    /// </summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="capacity">The number of messages the channel can hold; at least 1.</param>
    /// <returns>The first sender (clone it for more producers) and the receiver.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is zero or negative.</exception>
    public static (MpscSender<T> Sender, MpscReceiver<T> Receiver) Bounded<T>(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var channel = new MpscChannel<T>(capacity);
        return (new MpscSender<T>(channel), new MpscReceiver<T>(channel));
    }

    /// <summary>
    /// Creates a channel without a capacity limit: sending never waits, so memory is the only bound.
    /// Prefer <see cref="Bounded{T}"/> unless the producers are bounded by something else.
    /// </summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <returns>The first sender (clone it for more producers) and the receiver.</returns>
    public static (UnboundedSender<T> Sender, MpscReceiver<T> Receiver) Unbounded<T>()
    {
        var channel = new MpscChannel<T>(0);
        return (new UnboundedSender<T>(channel), new MpscReceiver<T>(channel));
    }
}
