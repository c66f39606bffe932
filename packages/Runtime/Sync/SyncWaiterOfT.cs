using System.Threading.Tasks.Sources;

namespace Spindle.Sync;

/// <summary>
/// A pooled waiter whose result is produced by the primitive (<see cref="IWaitResult{TResult}"/>):
/// <c>LockAsync</c> returns a <c>ValueTask&lt;Guard&gt;</c> backed directly by this waiter.
/// </summary>
/// <typeparam name="TResult">The value handed out.</typeparam>
internal sealed class SyncWaiter<TResult> : SyncWaiter, IValueTaskSource<TResult>
{
    /// <summary>Same bound as the untyped pool: a thread has few waits in flight at once.</summary>
    private const int CacheLimit = 16;

    [System.ThreadStatic]
    private static SyncWaiter<TResult>? t_cache;
    [System.ThreadStatic]
    private static int t_cached;

    private IWaitResult<TResult>? _producer;

    public static SyncWaiter<TResult> Rent(IWaitOwner owner, IWaitResult<TResult> producer, int amount)
    {
        SyncWaiter<TResult>? waiter = t_cache;
        if (waiter is not null)
        {
            t_cache = (SyncWaiter<TResult>?)waiter.Next;
            t_cached--;
            waiter.Next = null;
        }
        else
        {
            waiter = new SyncWaiter<TResult>();
        }

        waiter.Init(owner, amount);
        waiter._producer = producer;
        return waiter;
    }

    protected override void Recycle()
    {
        _producer = null;
        if (t_cached < CacheLimit)
        {
            Next = t_cache;
            t_cache = this;
            t_cached++;
        }
    }

    TResult IValueTaskSource<TResult>.GetResult(short token)
    {
        // Read before the base returns the waiter to the pool.
        IWaitResult<TResult>? producer = _producer;
        int amount = Amount;
        bool acquired = GetResult(token);
        return producer!.Produce(acquired, amount);
    }
}
