using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Spindle.Net.Internal;

/// <summary>
/// Presents a pending <c>ValueTask&lt;int&gt;</c> from the stream's write slot as a non-generic
/// <see cref="ValueTask"/> without allocating: one instance per stream, reused for every
/// <c>WriteAllAsync</c> that did not complete at once.
/// </summary>
/// <remarks>
/// The inner value task is backed by the stream's <c>SocketSend</c>, which registers the awaiting
/// Spindle task when its continuation is attached; forwarding <see cref="OnCompleted"/> on the same
/// thread, with the same flags, keeps that registration (abort, task dumps) intact.
/// </remarks>
internal sealed class WriteAllSource : IValueTaskSource
{
    private readonly Action _onInnerCompleted;
    private ValueTask<int> _inner;
    private Action<object?>? _continuation;
    private object? _state;
    private short _version;

    public WriteAllSource() => _onInnerCompleted = OnInnerCompleted;

    public ValueTask Wrap(ValueTask<int> inner)
    {
        _inner = inner;
        return new ValueTask(this, _version);
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        Validate(token);
        return !_inner.IsCompleted ? ValueTaskSourceStatus.Pending
            : _inner.IsCompletedSuccessfully ? ValueTaskSourceStatus.Succeeded
            : _inner.IsCanceled ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        Validate(token);

        // Stored before the inner registration: the inner operation may complete (and call back) at once.
        _continuation = continuation;
        _state = state;
        bool useContext = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0;
        bool flowContext = (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0;
        ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter awaiter = _inner.ConfigureAwait(useContext).GetAwaiter();
        if (flowContext)
        {
            awaiter.OnCompleted(_onInnerCompleted);
        }
        else
        {
            awaiter.UnsafeOnCompleted(_onInnerCompleted);
        }
    }

    public void GetResult(short token)
    {
        Validate(token);
        ValueTask<int> inner = _inner;
        _inner = default;
        unchecked
        {
            _version++;
        }

        inner.GetAwaiter().GetResult();
    }

    private void OnInnerCompleted()
    {
        Action<object?> continuation = _continuation!;
        object? state = _state;
        _continuation = null;
        _state = null;
        continuation(state);
    }

    private void Validate(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("The write's ValueTask was awaited twice or after its result was taken; a ValueTask may be awaited once.");
        }
    }
}
