namespace Spindle.Sync;

/// <summary>
/// Creates broadcast channels (tokio's <c>sync::broadcast</c>): many senders, many receivers, and
/// every receiver sees every value sent while it exists.
/// </summary>
/// <remarks>
/// <para>
/// The channel keeps the last <c>capacity</c> values (rounded up to a power of two, as tokio does).
/// Senders never wait: a receiver that falls further behind than that is told it lagged, by how many
/// values, and continues with the oldest value still held. A value leaves the ring once every receiver
/// has read it (or it is overwritten), so the ring keeps nothing alive that nobody will read.
/// </para>
/// <para><b>Thread safety:</b> every member of the sender and receiver is thread-safe; a receiver serves one consumer at a time.</para>
/// </remarks>
/// <example>
/// <code>
/// var (tx, rx1) = Broadcast.Create&lt;string&gt;(16);
/// using BroadcastReceiver&lt;string&gt; rx2 = tx.Subscribe();
/// tx.Send("hello");
/// Console.WriteLine((await rx1.RecvAsync()).Value); // hello
/// Console.WriteLine((await rx2.RecvAsync()).Value); // hello
/// tx.Dispose();
/// Console.WriteLine((await rx1.RecvAsync()).Status); // Closed
/// </code>
/// </example>
public static class Broadcast
{
    /// <summary>Creates a broadcast channel with one sender and one receiver.</summary>
    /// <typeparam name="T">The values sent. Every receiver gets the same value (the same instance for reference types).</typeparam>
    /// <param name="capacity">How many values the channel keeps for slow receivers (1 to 2^30, rounded up to a power of two).</param>
    /// <returns>The sender and a receiver that sees every value sent from now on.</returns>
    /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1 or more than 2^30.</exception>
    public static (BroadcastSender<T> Sender, BroadcastReceiver<T> Receiver) Create<T>(int capacity)
    {
        var channel = new BroadcastChannel<T>(capacity);
        return (new BroadcastSender<T>(channel), new BroadcastReceiver<T>(channel.Subscribe()));
    }
}
