namespace Spindle.Sync;

/// <summary>
/// Creates watch channels (tokio's <c>sync::watch</c>): one sender publishes the latest value of
/// something (configuration, state, progress); any number of receivers read it and wait for changes.
/// </summary>
/// <remarks>
/// <para>
/// Only the newest value is kept, with a version that grows on every store. A receiver remembers the
/// version it has seen: <see cref="WatchReceiver{T}.ChangedAsync"/> completes when a newer one exists,
/// so a receiver that is slower than the sender skips intermediate values but never misses the latest.
/// </para>
/// <para><b>Thread safety:</b> every member of the sender and receiver is thread-safe; a receiver serves one consumer at a time.</para>
/// </remarks>
/// <example>
/// <code>
/// var (config, watcher) = Watch.Create(Settings.Load());
/// SpindleTask.Spawn(async () =>
/// {
///     while (await watcher.ChangedAsync()) { Apply(watcher.Borrow().Value); }
/// });
/// config.Send(Settings.Load()); // the task applies the new settings
/// config.Dispose();             // the loop ends
/// </code>
/// </example>
public static class Watch
{
    /// <summary>Creates a watch channel holding <paramref name="initial"/>, with one receiver that has seen it.</summary>
    /// <typeparam name="T">The value watched.</typeparam>
    /// <param name="initial">The first value (version 0).</param>
    /// <returns>The sender and a first receiver.</returns>
    public static (WatchSender<T> Sender, WatchReceiver<T> Receiver) Create<T>(T initial)
    {
        var channel = new WatchChannel<T>(initial);
        return (new WatchSender<T>(channel), new WatchReceiver<T>(channel.Subscribe()));
    }
}
