using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Sync;

namespace Spindle.Streams.Internal;

// Completed sources in completion order, and the wake-up of the one task that consumes them.
//
// First in, first out is what makes Merge and StreamMap fair: a source whose item was just yielded
// is restarted at the consumer's next step, and if it is ready again at once it queues *behind* the
// sources that were already waiting, so two always-ready sources alternate.
//
// Lost wake-ups cannot happen: Enqueue adds under the lock and then calls Notify.NotifyOne, which
// stores a permit when the consumer is not yet waiting; the consumer re-checks the queue after every
// wake-up, so a stale permit costs one extra loop, never a hang.
internal sealed class ReadyQueue<TItem>
    where TItem : class
{
    private readonly Queue<TItem> _queue = new();
    private readonly Notify _notify = new();

    public void Enqueue(TItem item)
    {
        lock (_queue)
        {
            _queue.Enqueue(item);
        }

        _notify.NotifyOne();
    }

    public bool TryDequeue(out TItem item)
    {
        lock (_queue)
        {
            return _queue.TryDequeue(out item!);
        }
    }

    /// <summary>Wakes the consumer without an item, e.g. after a source was added or removed.</summary>
    public void Wake() => _notify.NotifyOne();

    public ValueTask WaitAsync(CancellationToken cancellationToken) => _notify.NotifiedAsync(cancellationToken);
}
