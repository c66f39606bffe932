using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.Sync;

/// <summary>
/// A value set once, asynchronously (tokio's <c>sync::OnceCell</c>): the first caller of
/// <see cref="GetOrInitAsync(Func{ValueTask{T}}, CancellationToken, string?, int, string?)"/> runs
/// the initializer while the others wait for its result; if it throws or is cancelled, the next
/// waiter runs its own initializer. Once set, reading is a single memory read with no lock.
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <remarks>
/// <para>
/// <b>Cancellation:</b> a caller cancelled while it waits for another caller's initializer leaves
/// the queue and changes nothing. If the initializer itself throws (including
/// <see cref="OperationCanceledException"/>), the exception goes to its own caller only and the
/// cell stays uninitialized; the longest-waiting caller then runs its initializer.
/// </para>
/// <para>
/// <b>Thread safety:</b> every member is thread-safe. An initializer must not wait on the same
/// cell: it would wait for itself.
/// </para>
/// <para>Allocation: none once the value is set.</para>
/// </remarks>
/// <example>
/// <code>
/// private static readonly OnceCell&lt;Config&gt; s_config = new();
///
/// public static ValueTask&lt;Config&gt; GetConfigAsync() =&gt;
///     s_config.GetOrInitAsync(static async () =&gt; await Config.LoadAsync("app.json"));
/// </code>
/// </example>
public sealed class OnceCell<T> : IWaitOwner
{
    // Design
    //
    //   Empty ──first GetOrInitAsync──► Initializing ──initializer returns──► Initialized (final)
    //     ▲   ──TrySet────────────────────────────────────────────────────────►    ▲
    //     └──initializer fails, nobody waiting──┘ │                                  │
    //                                             └─fails, someone waiting: the head waiter
    //                                               is unlinked and runs its initializer (the
    //                                               state stays Initializing: the turn is handed over)
    //
    // Invariants (under _lock): waiters are queued only while Initializing, so the queue is empty in
    // Empty and Initialized; exactly one caller (the one that moved the state to Initializing or was
    // handed the turn) runs an initializer at a time. _value is written before _state becomes
    // Initialized, and _state never leaves Initialized, so the lock-free read of a set cell is safe.
    // Waiters are completed (true: initialized; false: your turn) only by whoever unlinked them,
    // after the lock is released.
    private const int Empty = 0;
    private const int Initializing = 1;
    private const int Initialized = 2;

    private static readonly Func<Func<ValueTask<T>>, ValueTask<T>> s_invoke = static init => init();

    private readonly Lock _lock = new();
    // Mutable struct: never readonly.
    private WaitQueue _waiters;
    private T? _value;
    private int _state;

    /// <summary>Creates an empty cell.</summary>
    public OnceCell()
    {
    }

    /// <summary>Creates a cell that already holds <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    public OnceCell(T value)
    {
        _value = value;
        _state = Initialized;
    }

    /// <summary>Gets whether the value is set.</summary>
    // Pairs with the Volatile.Write in PublishLocked: once this is true, _value is visible.
    public bool IsInitialized => Volatile.Read(ref _state) == Initialized;

    /// <summary>Gets the value.</summary>
    /// <exception cref="InvalidOperationException">The value is not set (yet).</exception>
    public T Value
    {
        get
        {
            if (!TryGet(out T? value))
            {
                ThrowHelper.ThrowOnceCellNotInitialized();
            }

            return value;
        }
    }

    /// <summary>Racy snapshot of the callers waiting for the initializer (tests and listings); takes no lock, so listings never block.</summary>
    internal int WaiterCount => _waiters.Count;

    /// <summary>Gets the value if it is set; never waits.</summary>
    /// <param name="value">The value, or default when the cell is not set.</param>
    /// <returns>True if the value is set.</returns>
    public bool TryGet([MaybeNullWhen(false)] out T value)
    {
        // Pairs with the Volatile.Write in PublishLocked: _value was written before the state.
        if (Volatile.Read(ref _state) == Initialized)
        {
            value = _value!;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Sets the value if the cell is empty and no initializer is running (tokio's <c>set</c>).
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>False if the cell was already set or is being initialized; the value is then not stored.</returns>
    /// <remarks><para><b>Thread safety:</b> of several concurrent calls at most one returns true.</para></remarks>
    public bool TrySet(T value)
    {
        lock (_lock)
        {
            if (_state != Empty)
            {
                return false;
            }

            Debug.Assert(_waiters.IsEmpty, "callers waited on an empty cell");
            PublishLocked(value);
            return true;
        }
    }

    /// <summary>
    /// Returns the value, running <paramref name="init"/> first if the cell is empty. Concurrent
    /// callers wait for the running initializer instead of starting their own.
    /// </summary>
    /// <param name="init">Produces the value; runs at most once at a time, and only while the cell is empty.</param>
    /// <param name="cancellationToken">Ends a wait for another caller's initializer with <see cref="OperationCanceledException"/>.
    /// It is not passed to <paramref name="init"/>: capture it, or use the overload with a state.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The value; synchronously, without a lock or an allocation, once the cell is set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="init"/> is null.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the calling task was aborted, while waiting.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> a wait for another caller's initializer that is cancelled leaves
    /// the queue and changes nothing. If this caller's own initializer throws or is cancelled, the
    /// exception is rethrown here only, the cell stays empty, and the longest-waiting caller runs
    /// its initializer next.</para>
    /// <para><b>Thread safety:</b> any number of callers; <paramref name="init"/> must not wait on this cell.</para>
    /// <para><b>Exceptions:</b> whatever <paramref name="init"/> throws, to this caller only.</para>
    /// </remarks>
    public ValueTask<T> GetOrInitAsync(Func<ValueTask<T>> init, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(init);
        return TryGet(out T? value)
            ? new ValueTask<T>(value)
            : GetOrInitSlowAsync(s_invoke, init, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    /// <summary>
    /// Returns the value, running <paramref name="init"/> with <paramref name="state"/> first if the
    /// cell is empty; pass what the initializer needs as the state so no closure is allocated.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to <paramref name="init"/>.</typeparam>
    /// <param name="init">Produces the value from the state; runs at most once at a time, and only while the cell is empty.</param>
    /// <param name="state">Passed to <paramref name="init"/>.</param>
    /// <param name="cancellationToken">Ends a wait for another caller's initializer with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callerFilePath">Filled in by the compiler.</param>
    /// <param name="callerLineNumber">Filled in by the compiler.</param>
    /// <param name="callerMemberName">Filled in by the compiler.</param>
    /// <returns>The value; synchronously, without a lock or an allocation, once the cell is set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="init"/> is null.</exception>
    /// <exception cref="OperationCanceledException">The token fired, or the calling task was aborted, while waiting.</exception>
    /// <remarks>
    /// <para><b>Cancellation:</b> as for <see cref="GetOrInitAsync(Func{ValueTask{T}}, CancellationToken, string?, int, string?)"/>:
    /// a cancelled wait changes nothing; a failed or cancelled initializer hands the turn to the next waiter.</para>
    /// <para><b>Thread safety:</b> any number of callers; <paramref name="init"/> must not wait on this cell.</para>
    /// <para><b>Exceptions:</b> whatever <paramref name="init"/> throws, to this caller only.</para>
    /// </remarks>
    public ValueTask<T> GetOrInitAsync<TState>(Func<TState, ValueTask<T>> init, TState state, CancellationToken cancellationToken = default,
        [CallerFilePath] string? callerFilePath = null, [CallerLineNumber] int callerLineNumber = 0, [CallerMemberName] string? callerMemberName = null)
    {
        ArgumentNullException.ThrowIfNull(init);
        return TryGet(out T? value)
            ? new ValueTask<T>(value)
            : GetOrInitSlowAsync(init, state, callerFilePath, callerLineNumber, callerMemberName, cancellationToken);
    }

    private async ValueTask<T> GetOrInitSlowAsync<TState>(Func<TState, ValueTask<T>> init, TState state,
        string? file, int line, string? member, CancellationToken cancellationToken)
    {
        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        SyncWaiter? waiter = null;
        short token = 0;
        lock (_lock)
        {
            switch (_state)
            {
                case Initialized:
                    return _value!;
                case Empty:
                    _state = Initializing;
                    break;
                default:
                    waiter = SyncWaiter.Rent(this, 1);
                    token = waiter.Begin(file, line, member);
                    _waiters.EnqueueLocked(waiter);
                    // Under the lock: a token that fires now finds the waiter queued (RemoveWaiter re-enters the lock on this thread).
                    waiter.RegisterCancellation(cancellationToken);
                    break;
            }
        }

        // A waiter completes with true when the value is published, false when the turn is handed to it.
        if (waiter is not null && await new ValueTask<bool>(waiter, token).ConfigureAwait(true))
        {
            // The publisher wrote _value before it completed this waiter (under the lock, then the completion exchange).
            return _value!;
        }

        bool published = false;
        try
        {
            // The turn may have been handed over after this task was aborted or the token fired: pass it on instead.
            TaskCore.Current?.ThrowIfCancelled();
            cancellationToken.ThrowIfCancellationRequested();
            T value = await init(state).ConfigureAwait(true);
            Publish(value);
            published = true;
            return value;
        }
        finally
        {
            if (!published)
            {
                HandOverTurn();
            }
        }
    }

    private void Publish(T value)
    {
        WaitNode? all;
        lock (_lock)
        {
            Debug.Assert(_state == Initializing, "only the caller holding the turn publishes");
            PublishLocked(value);
            all = _waiters.DrainLocked();
        }

        SyncWaiter.CompleteChain(all, true);
    }

    private void PublishLocked(T value)
    {
        _value = value;
        // Pairs with the Volatile.Read in TryGet/IsInitialized: the value is written before the state says it is there.
        Volatile.Write(ref _state, Initialized);
    }

    /// <summary>The initializer failed: the longest waiter runs its own, or the cell is empty again.</summary>
    private void HandOverTurn()
    {
        SyncWaiter? next;
        lock (_lock)
        {
            Debug.Assert(_state == Initializing, "only the caller holding the turn hands it over");
            next = (SyncWaiter?)_waiters.DequeueLocked();
            if (next is null)
            {
                _state = Empty;
            }
        }

        next?.Complete(false);
    }

    bool IWaitOwner.RemoveWaiter(SyncWaiter waiter, short version)
    {
        lock (_lock)
        {
            // A waiter holds nothing while queued: leaving frees nothing for the others.
            return waiter.IsWait(version) && _waiters.RemoveLocked(waiter);
        }
    }

    (string Kind, string? Resource) IWaitOwner.DescribeWaiter(SyncWaiter waiter) =>
        ("oncecell", $"initializing, {WaiterCount} waiting");
}
