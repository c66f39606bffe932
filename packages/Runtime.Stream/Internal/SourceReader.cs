using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;

namespace Spindle.Streams.Internal;

// One source of a combinator and its single outstanding MoveNextAsync.
//
// The reason this type exists: a combinator that waits on a source *and* on something else (another
// source, a timer) must not drop the source's MoveNextAsync when the other thing wins. The pending
// ValueTask is kept here until it completes and its result is taken exactly once, so an item a source
// produced is never lost between two steps of the combinator.
//
//   Idle --Start--> Pending --(completes; onReady runs once)--> Pending(IsCompleted)
//     ^                                                              |
//     +----------------------------- TakeResult ---------------------+
//   any --DisposeAsync--> Disposed (awaits a pending read first: an IAsyncEnumerator may not be
//                                   disposed while a MoveNextAsync is in flight)
//
// Invariants: only the combinator's own task calls Start/TakeResult/DisposeAsync (one step at a time);
// onReady may run on any thread, once per Start, and does no more than enqueue or notify.
// CA2012 is off for this file: the pending ValueTask is stored on purpose and consumed exactly once
// (one continuation, then one GetResult), which is the whole point of the type.
#pragma warning disable CA2012
internal class SourceReader<T>
{
    private readonly IAsyncEnumerator<T> _enumerator;
    private readonly Action _onCompleted;
    private ValueTask<bool> _pending;
    private bool _isPending;
    private bool _disposed;
    // Items of this source become their consumer's (listeners, mpsc receivers): one dropped unyielded is disposed here.
    private readonly bool _disposeDropped;

    public SourceReader(IAsyncEnumerator<T> enumerator, Action<SourceReader<T>> onReady)
    {
        _enumerator = enumerator;
        _onCompleted = () => onReady(this);
        _disposeDropped = enumerator is ContextEnumerator<T> { HandsOverItems: true };
    }

    /// <summary>Whether a MoveNextAsync is outstanding (completed or not) and its result not yet taken.</summary>
    public bool IsPending => _isPending;

    /// <summary>Whether the outstanding MoveNextAsync has completed, so <see cref="TakeResult"/> will not block.</summary>
    public bool IsCompleted => _isPending && _pending.IsCompleted;

    public bool IsDisposed => _disposed;

    /// <summary>The item of the last read that returned true.</summary>
    public T Current => _enumerator.Current;

    /// <summary>Starts the next read; the reader's callback runs once when it completes (at once if it already has).</summary>
    public void Start()
    {
        Debug.Assert(!_isPending && !_disposed, "one read at a time, and none after disposal");
        _isPending = true;
        try
        {
            _pending = _enumerator.MoveNextAsync();
        }
        catch (Exception e)
        {
            _pending = ValueTask.FromException<bool>(e);
        }

        if (_pending.IsCompleted)
        {
            _onCompleted();
        }
        else
        {
            // The callback only enqueues or notifies, so it may run inline on the completing thread.
            _pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onCompleted);
        }
    }

    /// <summary>Takes the result of the completed read: true with an item in <see cref="Current"/>, false at the end; rethrows the source's failure.</summary>
    public bool TakeResult()
    {
        Debug.Assert(IsCompleted, "TakeResult only after the read completed");
        _isPending = false;
        return _pending.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Waits for an outstanding read (which the caller has cancelled) to complete, then disposes the
    /// source's enumerator. The pending ValueTask already has this reader's callback as its one
    /// continuation, so it is polled with IsCompleted between wake-ups instead of being awaited again.
    /// </summary>
    /// <param name="waitForWake">Waits for the wake-up the reader's callback sends (its Notify).</param>
    public async ValueTask DisposeAsync(Func<ValueTask> waitForWake)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_isPending)
        {
            while (!_pending.IsCompleted)
            {
                await waitForWake();
            }

            _isPending = false;
            bool produced = false;
            try
            {
                produced = _pending.GetAwaiter().GetResult();
            }
#pragma warning disable CA1031 // The read's outcome is being discarded: the combinator is done with this source.
            catch (Exception)
#pragma warning restore CA1031
            {
                // Cancelled by the combinator's stop token (a cancel-safe source took nothing), or failed: a
                // failure of a read nobody will take must not mask the error the combinator is ending with,
                // nor stop it from disposing its other sources.
            }

            if (produced && _disposeDropped)
            {
                // Produced but never yielded, and handed over by its source: nobody will own it, so a
                // disposable item (an accepted socket) is disposed here. Shared items (a watch's value) are not.
                try
                {
                    await DisposeItemAsync(_enumerator.Current);
                }
                finally
                {
                    await _enumerator.DisposeAsync();
                }

                return;
            }
        }

        await _enumerator.DisposeAsync();
    }

    /// <summary>Disposes an item the combinator drops (taken from its source, never yielded), if it is disposable.</summary>
    public static ValueTask DisposeItemAsync(T item)
    {
        switch (item)
        {
            case IAsyncDisposable asyncDisposable:
                return asyncDisposable.DisposeAsync();
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        return default;
    }
}
