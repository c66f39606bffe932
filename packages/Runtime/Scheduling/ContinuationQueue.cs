using System;
using System.Collections.Generic;
using System.Threading;

namespace Spindle.Scheduling;

/// <summary>
/// FIFO of continuations waiting to run on a task. The first entry lives inline, so the common case
/// (a task's single async chain has one continuation pending) allocates nothing; more spill into a
/// queue that the owner keeps elsewhere (a task in its rarely used extras, a thread beside its
/// queue) and passes in: two fields here instead of three make every task object 8 bytes smaller.
/// While the first entry is empty so is the spill queue. Not thread-safe: the owner's lock guards it.
/// </summary>
internal struct ContinuationQueue
{
    private Delegate? _first;
    private object? _firstState;

    public readonly bool IsEmpty => _first is null;

    /// <summary>Puts the entry in the inline slot if the queue is empty; false if the caller must spill it.</summary>
    public bool TryEnqueueFirst(Delegate callback, object? state)
    {
        if (_first is not null)
        {
            return false;
        }

        _first = callback;
        _firstState = state;
        return true;
    }

    /// <summary>Enqueues, spilling into <paramref name="rest"/> (created on first need) behind the inline entry.</summary>
    public void Enqueue(Delegate callback, object? state, ref Queue<(Delegate Callback, object? State)>? rest)
    {
        if (!TryEnqueueFirst(callback, state))
        {
            (rest ??= new Queue<(Delegate, object?)>()).Enqueue((callback, state));
        }
    }

    /// <summary>Takes the oldest entry; <paramref name="rest"/> is where this queue spills (null if it never did).</summary>
    public bool TryDequeue(out Delegate callback, out object? state, Queue<(Delegate Callback, object? State)>? rest)
    {
        if (_first is null)
        {
            callback = null!;
            state = null;
            return false;
        }

        callback = _first;
        state = _firstState;
        if (rest is { Count: > 0 })
        {
            (_first, _firstState) = rest.Dequeue();
        }
        else
        {
            _first = null;
            _firstState = null;
        }

        return true;
    }

    /// <summary>Runs a queued continuation; the three shapes come from leaves, SynchronizationContext.Post and custom awaiters.</summary>
    public static void Invoke(Delegate callback, object? state)
    {
        switch (callback)
        {
            case Action<object?> action:
                action(state);
                break;
            case SendOrPostCallback post:
                post(state);
                break;
            case Action plain:
                plain();
                break;
            default:
                throw new InvalidOperationException($"Unexpected continuation type {callback.GetType()}; this is a bug in Spindle.");
        }
    }
}
