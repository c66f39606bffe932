using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Streams.Internal;

namespace Spindle.Streams;

/// <summary>
/// A keyed merge of async streams (tokio-stream's <c>StreamMap</c>): enumerating it yields each
/// source's items tagged with the source's key, fairly, and sources may be added and removed while it
/// is being enumerated.
/// </summary>
/// <typeparam name="TKey">The key type; keys are compared with the default equality comparer.</typeparam>
/// <typeparam name="T">The item type.</typeparam>
/// <remarks>
/// <para>The enumeration ends when the map is empty: a source that ends is removed from the map. Add
/// the first sources before enumerating.</para>
/// <para><b>Fairness:</b> sources whose items are ready are served in the order they became ready; a
/// source that was just served queues behind the others, so no source can starve another.</para>
/// <para><b>Removal:</b> after <see cref="Remove"/> the source is not read again; a read in flight is
/// cancelled and the source's enumerator is disposed at the enumeration's next step. An item the
/// source had already produced before the removal is still yielded (it was taken from the source and
/// would otherwise be lost); a cancel-safe source such as a Spindle channel receiver takes nothing
/// when its read is cancelled.</para>
/// <para><b>Cancellation:</b> when the enumeration's token fires, every source's read is cancelled;
/// items the sources had already produced are yielded first, then
/// <see cref="OperationCanceledException"/> is thrown, so nothing taken from a source is lost. Sources
/// must honour their cancellation token. Disposing the enumerator early (a <c>break</c>) cancels
/// and disposes every source; at most one item per source that was produced but not yet yielded is
/// then dropped — cancel through the token instead to receive those. A dropped item of a source that
/// hands its items over (a listener's or an mpsc receiver's stream) is disposed if it is
/// <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/>, so an accepted socket is not leaked;
/// shared items (a watch's or broadcast's values) are left alone.</para>
/// <para><b>Failures:</b> a source that fails ends the enumeration with its error; the other sources are
/// still cancelled and disposed, and a read of theirs that fails meanwhile is discarded with them.</para>
/// <para><b>Thread safety:</b> <see cref="Add"/>, <see cref="TryAdd"/>, <see cref="Remove"/> and the
/// queries may be called from any thread at any time; one enumeration at a time.</para>
/// </remarks>
/// <example>
/// <code>
/// var map = new StreamMap&lt;string, int&gt;();
/// map.Add("a", rxA.ToAsyncEnumerable());
/// map.Add("b", rxB.ToAsyncEnumerable());
/// await foreach (KeyValuePair&lt;string, int&gt; item in map) { if (item.Value &lt; 0) map.Remove(item.Key); }
/// </code>
/// </example>
public sealed class StreamMap<TKey, T> : IAsyncEnumerable<KeyValuePair<TKey, T>>
    where TKey : notnull
{
    // Design: the map holds the sources; an enumeration (at most one, _active) holds a reader per
    // source with its own cancellation source linked to the enumeration's stop token, so Remove can
    // cancel one source's read without touching the others.
    //
    // Add/Remove talk to the running enumeration under _lock: Add queues the source in _added, Remove
    // marks its reader removed and cancels it (outside the lock: Cancel runs callbacks inline); both
    // then wake the enumeration, which starts added sources and disposes removed readers at its next
    // step. The enumeration's own loop is the only code that starts, takes or disposes readers.
    private readonly object _lock = new();
    private readonly Dictionary<TKey, IAsyncEnumerable<T>> _sources = new();
    private Enumeration? _active;

    /// <summary>Gets the number of sources in the map.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sources.Count;
            }
        }
    }

    /// <summary>Gets a snapshot of the keys in the map.</summary>
    public IReadOnlyList<TKey> Keys
    {
        get
        {
            lock (_lock)
            {
                return [.. _sources.Keys];
            }
        }
    }

    /// <summary>Gets whether the map holds a source under <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> if the key is present.</returns>
    public bool ContainsKey(TKey key)
    {
        lock (_lock)
        {
            return _sources.ContainsKey(key);
        }
    }

    /// <summary>Adds a source; a running enumeration starts reading it at its next step.</summary>
    /// <param name="key">The key its items are tagged with.</param>
    /// <param name="source">The source.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentException">The key is already present; remove it first.</exception>
    public void Add(TKey key, IAsyncEnumerable<T> source)
    {
        if (!TryAdd(key, source))
        {
            throw new ArgumentException($"The StreamMap already holds a source under the key '{key}'; remove it first or use TryAdd.", nameof(key));
        }
    }

    /// <summary>Adds a source unless the key is present; a running enumeration starts reading it at its next step.</summary>
    /// <param name="key">The key its items are tagged with.</param>
    /// <param name="source">The source.</param>
    /// <returns><see langword="true"/> if added; <see langword="false"/> if the key was present.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="source"/> is null.</exception>
    public bool TryAdd(TKey key, IAsyncEnumerable<T> source)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(source);
        Enumeration? active;
        lock (_lock)
        {
            if (!_sources.TryAdd(key, source))
            {
                return false;
            }

            active = _active;
            active?.Added.Add(new KeyValuePair<TKey, IAsyncEnumerable<T>>(key, source));
        }

        active?.Ready.Wake();
        return true;
    }

    /// <summary>Removes a source: it is not read again, and a running enumeration cancels its read in flight and disposes it.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> if the key was present.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <remarks><para>An item the source had already produced is still yielded; see the type's remarks.</para></remarks>
    public bool Remove(TKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Enumeration? active;
        Reader? reader = null;
        lock (_lock)
        {
            if (!_sources.Remove(key))
            {
                return false;
            }

            active = _active;
            if (active is not null)
            {
                if (active.Readers.Remove(key, out reader))
                {
                    reader.Removed = true;
                }
                else
                {
                    active.Added.RemoveAll(pair => EqualityComparer<TKey>.Default.Equals(pair.Key, key));
                }
            }
        }

        try
        {
            reader?.Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The enumeration saw Removed and disposed the reader first: nothing left to cancel.
        }

        active?.Ready.Wake();
        return true;
    }

    /// <summary>Starts the enumeration; only one may run at a time.</summary>
    /// <param name="cancellationToken">Cancels every source's read; see the type's remarks.</param>
    /// <returns>The enumerator; its first <c>MoveNextAsync</c> throws <see cref="InvalidOperationException"/>
    /// if another enumeration of this map is running (one disposed before its first step never ran).</returns>
    public IAsyncEnumerator<KeyValuePair<TKey, T>> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        // Through a ContextEnumerator: a consumer resumed after a wait allocates nothing.
        new ContextEnumerator<KeyValuePair<TKey, T>>(RunAsync(cancellationToken).GetAsyncEnumerator(default));

    /// <summary>Claims the map for one enumeration; its first MoveNextAsync does, so an enumerator disposed before it leaves nothing claimed.</summary>
    private Enumeration Claim()
    {
        var enumeration = new Enumeration();
        lock (_lock)
        {
            if (_active is not null)
            {
                throw new InvalidOperationException("A StreamMap can be enumerated by one consumer at a time; dispose the running enumerator first.");
            }

            _active = enumeration;
            foreach (KeyValuePair<TKey, IAsyncEnumerable<T>> pair in _sources)
            {
                enumeration.Added.Add(pair);
            }
        }

        return enumeration;
    }

    private async IAsyncEnumerable<KeyValuePair<TKey, T>> RunAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enumeration enumeration = Claim();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ReadyQueue<Reader> ready = enumeration.Ready;
        var all = new List<Reader>();
        Func<ValueTask> waitForWake = () => ready.WaitAsync(default);
        Reader? served = null;
        bool draining = false;
        try
        {
            while (true)
            {
                if (!draining && cancellationToken.IsCancellationRequested)
                {
                    // Cancel every read, then yield what the sources had already produced (see remarks).
                    draining = true;
                    await stop.CancelAsync();
                }

                if (served is not null)
                {
                    if (served.Removed || draining)
                    {
                        all.Remove(served);
                        await served.DisposeAsync(waitForWake);
                    }
                    else
                    {
                        served.Start();
                    }

                    served = null;
                }

                if (!draining && HasAdded(enumeration))
                {
                    // A removed source's cancelled read must be over before a source is started: it may be
                    // the same source added again, and a channel receiver takes one read at a time. The
                    // completed read then goes through the ready queue as usual (an item is still yielded).
                    while (all.Exists(r => r.Removed && r.IsPending && !r.IsCompleted))
                    {
                        await waitForWake();
                    }

                    StartAdded(enumeration, all, stop.Token);
                }

                if (ready.TryDequeue(out Reader? reader))
                {
                    switch (Take(reader))
                    {
                        case Outcome.Item:
                            served = reader;
                            yield return new KeyValuePair<TKey, T>(reader.Key, reader.Current);
                            break;
                        case Outcome.Ended:
                            lock (_lock)
                            {
                                if (enumeration.Readers.TryGetValue(reader.Key, out Reader? current) && current == reader)
                                {
                                    enumeration.Readers.Remove(reader.Key);
                                    _sources.Remove(reader.Key);
                                }
                            }

                            all.Remove(reader);
                            await reader.DisposeAsync(waitForWake);
                            break;
                        default:
                            // Cancelled: removed, or the enumeration is draining. The source stays in the map unless removed.
                            all.Remove(reader);
                            await reader.DisposeAsync(waitForWake);
                            break;
                    }

                    continue;
                }

                bool anyPending = all.Exists(r => r.IsPending);
                if (draining && !anyPending)
                {
                    throw new OperationCanceledException(cancellationToken);
                }

                if (!anyPending)
                {
                    lock (_lock)
                    {
                        if (enumeration.Added.Count == 0)
                        {
                            yield break;
                        }
                    }

                    continue;
                }

                try
                {
                    await ready.WaitAsync(draining ? default : cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Handled at the top of the loop: start draining.
                }
            }
        }
        finally
        {
            try
            {
                await stop.CancelAsync();
                await DisposeAllAsync(all, waitForWake);
            }
            finally
            {
                lock (_lock)
                {
                    _active = null;
                }
            }
        }
    }

    /// <summary>Disposes every reader, each even if an earlier one's source fails to dispose; then throws the first such failure.</summary>
    private static async ValueTask DisposeAllAsync(List<Reader> all, Func<ValueTask> waitForWake)
    {
        Exception? first = null;
        foreach (Reader reader in all)
        {
            try
            {
                await reader.DisposeAsync(waitForWake);
            }
#pragma warning disable CA1031 // Every source is disposed; the first failure is rethrown after.
            catch (Exception e)
#pragma warning restore CA1031
            {
                first ??= e;
            }
        }

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    private bool HasAdded(Enumeration enumeration)
    {
        lock (_lock)
        {
            return enumeration.Added.Count > 0;
        }
    }

    private void StartAdded(Enumeration enumeration, List<Reader> all, CancellationToken stop)
    {
        while (true)
        {
            KeyValuePair<TKey, IAsyncEnumerable<T>> pair;
            lock (_lock)
            {
                if (enumeration.Added.Count == 0)
                {
                    return;
                }

                pair = enumeration.Added[0];
                enumeration.Added.RemoveAt(0);
            }

            var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var reader = new Reader(pair.Key, pair.Value.GetAsyncEnumerator(cancellation.Token), cancellation, enumeration.Ready);
            lock (_lock)
            {
                // Remove may have run since the source was taken from _added: then it is not started.
                if (!_sources.TryGetValue(pair.Key, out IAsyncEnumerable<T>? source) || source != pair.Value)
                {
                    reader.Removed = true;
                }
                else
                {
                    enumeration.Readers[pair.Key] = reader;
                }
            }

            all.Add(reader);
            if (!reader.Removed)
            {
                reader.Start();
            }
        }
    }

    private static Outcome Take(Reader reader)
    {
        try
        {
            return reader.TakeResult() ? Outcome.Item : Outcome.Ended;
        }
        catch (OperationCanceledException) when (reader.Cancellation.IsCancellationRequested)
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

    private sealed class Enumeration
    {
        public readonly ReadyQueue<Reader> Ready = new();

        // Guarded by the map's _lock.
        public readonly List<KeyValuePair<TKey, IAsyncEnumerable<T>>> Added = new();

        // Guarded by the map's _lock: the live reader of each key.
        public readonly Dictionary<TKey, Reader> Readers = new();
    }

    private sealed class Reader : SourceReader<T>
    {
        public Reader(TKey key, IAsyncEnumerator<T> enumerator, CancellationTokenSource cancellation, ReadyQueue<Reader> ready)
            : base(enumerator, r => ready.Enqueue((Reader)r))
        {
            Key = key;
            Cancellation = cancellation;
        }

        public TKey Key { get; }

        public CancellationTokenSource Cancellation { get; }

        /// <summary>Disposes the source, then the reader's token source (linked to the enumeration's: it must not outlive the reader).</summary>
        public new async ValueTask DisposeAsync(Func<ValueTask> waitForWake)
        {
            if (IsDisposed)
            {
                return;
            }

            try
            {
                await base.DisposeAsync(waitForWake);
            }
            finally
            {
                Cancellation.Dispose();
            }
        }

        // Set under the map's _lock; read by the enumeration loop, where a stale false only means one
        // more Start whose read is then cancelled at once.
        public volatile bool Removed;
    }
}
