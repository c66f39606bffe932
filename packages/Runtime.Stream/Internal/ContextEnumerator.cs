using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Spindle.Streams.Internal;

// Wraps a compiler-generated async iterator so that resuming a consumer that waited allocates nothing.
//
// Why: an iterator completes a pending MoveNextAsync through ManualResetValueTaskSourceCore, which
// posts the consumer's continuation to the SynchronizationContext the consumer awaited on (every
// Spindle task is one) with a new SendOrPostCallback each time: 64 bytes per wake-up of a waiting
// consumer. This wrapper takes the consumer's continuation itself, remembers the context, and when
// the iterator's step completes posts one cached callback with itself as the state; that callback
// completes the core, whose continuation (registered without the scheduling flag) then runs inline,
// on the consumer's task. The consumer makes the same one hop it would have made, without the garbage.
//
//   MoveNextAsync --(step completed at once)--> the step itself, untouched
//   MoveNextAsync --(step pending)--> Pending --OnCompleted--> Registered
//   Registered --(step completes; OnStepCompleted)--> Post(s_complete) or Complete inline --> core completed
//   Pending --(GetStatus/GetResult without OnCompleted, e.g. a caller polling IsCompleted)--> read the step directly
//
// Invariants: one step at a time (the IAsyncEnumerator contract); the step's result is taken exactly
// once, by Complete when registered, by GetResult otherwise. Continuations run inline only through the
// core, never under a lock (there is none).
// CA2012 is off for this file: the pending step is stored on purpose and consumed exactly once.
#pragma warning disable CA2012
internal sealed class ContextEnumerator<T> : IAsyncEnumerator<T>, IValueTaskSource<bool>
{
    private static readonly SendOrPostCallback s_complete = static state => ((ContextEnumerator<T>)state!).Complete();

    private readonly IAsyncEnumerator<T> _inner;
    private readonly Action _onStepCompleted;

    // Never readonly: a mutable struct, a readonly field would be copied on every call.
    private ManualResetValueTaskSourceCore<bool> _core;
    private ValueTask<bool> _step;
    private bool _registered;
    private SynchronizationContext? _context;
    // A step went pending and its result was not taken yet: the next MoveNextAsync must wait for it.
    private bool _inFlight;

    public ContextEnumerator(IAsyncEnumerator<T> inner, bool handsOverItems = false)
    {
        _inner = inner;
        _onStepCompleted = OnStepCompleted;
        HandsOverItems = handsOverItems;
    }

    /// <summary>Whether each item becomes the consumer's to own (see <see cref="ContextStream{T}"/>).</summary>
    public bool HandsOverItems { get; }

    public T Current => _inner.Current;

    public ValueTask<bool> MoveNextAsync()
    {
        if (_inFlight)
        {
            // The pending step's continuation and result live in this object: a second step would corrupt them.
            throw new InvalidOperationException("MoveNextAsync was called while the previous step was still pending; await each step before starting the next (an async enumerator takes one step at a time).");
        }

        ValueTask<bool> step = _inner.MoveNextAsync();
        if (step.IsCompleted)
        {
            return step;
        }

        _core.Reset();
        _step = step;
        _registered = false;
        _context = null;
        _inFlight = true;
        return new ValueTask<bool>(this, _core.Version);
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    public ValueTaskSourceStatus GetStatus(short token)
    {
        if (_registered)
        {
            return _core.GetStatus(token);
        }

        ValidateToken(token);
        ValueTask<bool> step = _step;
        return !step.IsCompleted ? ValueTaskSourceStatus.Pending
            : step.IsCompletedSuccessfully ? ValueTaskSourceStatus.Succeeded
            : step.IsCanceled ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    public bool GetResult(short token)
    {
        ValidateToken(token);
        if (GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            // Premature: the step is still running (its result and the in-flight mark stay as they are).
            ThrowBadToken();
        }

        _inFlight = false;
        if (_registered)
        {
            return _core.GetResult(token);
        }

        return _step.GetAwaiter().GetResult();
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ValidateToken(token);
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
            && SynchronizationContext.Current is { } context
            && context.GetType() != typeof(SynchronizationContext))
        {
            // Scheduled by OnStepCompleted's cached post; the core runs the continuation inline there.
            _context = context;
            flags &= ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext;
        }

        _core.OnCompleted(continuation, state, token, flags);
        _registered = true;

        // Without the scheduling context: this callback only posts or completes the core.
        _step.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onStepCompleted);
    }

    private void OnStepCompleted()
    {
        if (_context is { } context)
        {
            context.Post(s_complete, this);
        }
        else
        {
            Complete();
        }
    }

    private void Complete()
    {
        bool result;
        try
        {
            result = _step.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            _core.SetException(e);
            return;
        }

        _core.SetResult(result);
    }

    private void ValidateToken(short token)
    {
        if (token != _core.Version)
        {
            ThrowBadToken();
        }
    }

    private static void ThrowBadToken() =>
        throw new InvalidOperationException("A stream's MoveNextAsync result was awaited after the next step started or twice; await each step once.");
}
