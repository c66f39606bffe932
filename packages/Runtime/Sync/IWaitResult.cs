namespace Spindle.Sync;

/// <summary>
/// Turns the outcome of a semaphore wait into the value a primitive hands out (a guard, a permit),
/// so a typed wait completes through the pooled waiter itself, with no async-method box between the
/// waiter and the awaiting task.
/// </summary>
/// <typeparam name="TResult">The value handed out.</typeparam>
internal interface IWaitResult<TResult>
{
    /// <summary>Called once per wait on the awaiting side; <paramref name="acquired"/> is false when the semaphore closed (throw there).</summary>
    TResult Produce(bool acquired, int amount);
}
