using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Internal;

namespace Spindle.Sync;

/// <summary>
/// The slow path of <see cref="MpscSender{T}.SendAsync"/> when the channel is full: holds the value
/// (still the caller's) until the capacity semaphore grants a slot, then queues it and completes the
/// caller's await. Pooled per thread, so a sender that waits for room allocates nothing in steady state
/// (an async helper would: its pooled box posts each completion through the task's SynchronizationContext).
/// </summary>
/// <remarks>
/// <para>
/// Life: Rent → <see cref="Start"/> registers <see cref="OnAcquired"/> on the semaphore wait (from the
/// sending task, so that wait is the leaf the task is listed on and abort/timeouts cancel it) →
/// OnAcquired runs on the task, queues the value (or not: closed, cancelled) and completes the core →
/// the caller's GetResult takes the outcome → back to the pool. A cancelled wait leaves the semaphore
/// queue (its turn passes on) and the value is never queued.
/// </para>
/// <para>Mutable struct fields (<see cref="LeafCore{TResult}"/>, the awaiter) are never readonly.</para>
/// </remarks>
internal sealed class MpscSendOperation<T> : IValueTaskSource<bool>
{
    [ThreadStatic]
    private static MpscSendOperation<T>? t_cache;

    private readonly Action _onAcquired;
    private MpscChannel<T>? _channel;
    private T? _value;
    private ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter _acquire;
    private LeafCore<bool> _core;

    private MpscSendOperation() => _onAcquired = OnAcquired;

    public static ValueTask<bool> Start(MpscChannel<T> channel, T value, ValueTask<bool> acquire)
    {
        MpscSendOperation<T> operation = t_cache ?? new MpscSendOperation<T>();
        t_cache = null;
        operation._channel = channel;
        operation._value = value;
        operation._core.Reset();
        short token = operation._core.Version;
        operation._acquire = acquire.ConfigureAwait(true).GetAwaiter();
        // Called on the sending task: the semaphore's leaf captures it, so the task is listed as waiting
        // on it and abort or a timeout ends that wait, which then runs OnAcquired with the error.
        operation._acquire.UnsafeOnCompleted(operation._onAcquired);
        return new ValueTask<bool>(operation, token);
    }

    private void OnAcquired()
    {
        MpscChannel<T> channel = _channel!;
        T value = _value!;
        ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter acquire = _acquire;
        _acquire = default;
        _value = default;
        _channel = null;
        bool sent;
        try
        {
            sent = acquire.GetResult() && channel.TryEnqueue(value, ownsSlot: true);
        }
#pragma warning disable CA1031 // The wait's failure (cancellation) is handed to the caller's await unchanged.
        catch (Exception error)
#pragma warning restore CA1031
        {
            _core.SetException(error);
            return;
        }

        _core.SetResult(sent);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public bool GetResult(short token)
    {
        // Validates the token (and that the operation is over) first, so a second await of the same
        // ValueTask cannot return the operation to the pool.
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            ThrowHelper.ThrowBadToken();
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Debug.Assert(_channel is null, "an operation is returned only after it completed");
            t_cache = this;
        }
    }
}
