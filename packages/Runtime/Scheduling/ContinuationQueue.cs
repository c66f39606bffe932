using System;
using System.Collections.Generic;
using System.Threading;

namespace Spindle.Scheduling;

/// <summary>
/// FIFO of continuations waiting to run on a task. The first entry lives inline, so the common case
/// (a task's single async chain has one continuation pending) allocates nothing; more spill into a
/// queue allocated on first need. Not thread-safe: the owning task's lock guards it.
/// </summary>
internal struct ContinuationQueue
{
    private Delegate? _first;
    private object? _firstState;
    private Queue<(Delegate Callback, object? State)>? _rest;

    public readonly bool IsEmpty => _first is null;

    public void Enqueue(Delegate callback, object? state)
    {
        if (_first is null)
        {
            _first = callback;
            _firstState = state;
        }
        else
        {
            (_rest ??= new Queue<(Delegate, object?)>()).Enqueue((callback, state));
        }
    }

    public bool TryDequeue(out Delegate callback, out object? state)
    {
        if (_first is null)
        {
            callback = null!;
            state = null;
            return false;
        }

        callback = _first;
        state = _firstState;
        if (_rest is { Count: > 0 })
        {
            (_first, _firstState) = _rest.Dequeue();
        }
        else
        {
            _first = null;
            _firstState = null;
        }

        return true;
    }

    /// <summary>Moves every entry of <paramref name="other"/> to the end of this queue.</summary>
    public void TakeAll(ref ContinuationQueue other)
    {
        while (other.TryDequeue(out Delegate callback, out object? state))
        {
            Enqueue(callback, state);
        }
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
