using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Scheduling;

namespace Spindle.IO;

/// <summary>
/// A reusable stream-style operation (a read or a write) that runs in one of the two reserved slots of
/// an <see cref="IoRegistration"/>: the building block of zero-allocation stream reads and writes
/// (what tokio's <c>poll_read</c>/<c>poll_write</c> do with the registration's reader and writer wakers).
/// </summary>
/// <typeparam name="TResult">What the operation produces (for example the number of bytes read).</typeparam>
/// <remarks>
/// <para>
/// A type that owns a resource embeds one instance per direction, sets its inputs (a buffer), and
/// calls <see cref="IoRegistration.RunAsync{TResult}"/>. The operation's <see cref="TryExecute"/> is
/// tried at once if the registration is ready, otherwise as soon as the driver reports readiness;
/// that retry runs on the thread that observed the readiness (the worker polling the driver), and a
/// "would block" clears the readiness with its tick and waits again. The awaiting task resumes once
/// the operation produced a result or threw. The returned <see cref="ValueTask{TResult}"/> is backed
/// by this object, so nothing is allocated per operation.
/// </para>
/// <para><b>Thread safety:</b> one operation in flight per instance, and one per direction per registration.</para>
/// </remarks>
public abstract class IoOperation<TResult> : IValueTaskSource<TResult>, ILeaf, IIoSlot
{
    // State: Idle ─RunAsync─► (inline attempt) ─► armed in the slot / yielding / running on a waker ─► done ─GetResult─► Idle.
    // Only the thread that took the operation out of its slot (the waker, or the yield callback)
    // runs it; a cancellation either takes it out of the slot itself (and completes it) or, if it
    // is running, leaves a request that the runner honours instead of re-arming.
    private static readonly Action<object?> s_runAfterYield = static state => ((IIoSlot)state!).Run();

    // Mutable struct: never readonly.
    private LeafWait _wait;
    private ScheduledIo? _io;
    private TResult? _result;
    private volatile bool _cancelRequested;
    private Exception? _cancelError;

    /// <summary>Creates an operation for one direction.</summary>
    /// <param name="direction"><see cref="Interest.Readable"/> or <see cref="Interest.Writable"/>: the reserved slot it uses.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="direction"/> is neither readable nor writable alone.</exception>
    protected IoOperation(Interest direction)
    {
        if (direction is not (Interest.Readable or Interest.Writable))
        {
            throw new ArgumentOutOfRangeException(nameof(direction), direction,
                "An I/O operation reads or writes: pass Interest.Readable or Interest.Writable (one slot each).");
        }

        Direction = direction;
    }

    /// <summary>The slot this operation uses.</summary>
    public Interest Direction { get; }

    /// <summary>Whether the operation is in flight (started and its result not yet taken).</summary>
    public bool IsRunning => !_wait.IsIdle;

    /// <summary>
    /// Tries the operation without blocking (a non-blocking system call).
    /// </summary>
    /// <param name="result">The result when the operation completed.</param>
    /// <returns>True when it completed; false when it would block (the registration then waits for readiness).</returns>
    /// <remarks>Throw to fail the operation; the exception reaches the awaiting task. Never block here.</remarks>
    protected abstract bool TryExecute(out TResult result);

    bool IIoSlot.IsWrite => Direction == Interest.Writable;

    bool IIoSlot.CancelRequested => _cancelRequested;

    bool IIoSlot.IsWait(short version) => _wait.Version == version;

    void IIoSlot.RequestCancel(Exception error)
    {
        _cancelError = error;
        _cancelRequested = true;
    }

    void IIoSlot.ClearCancel()
    {
        _cancelRequested = false;
        _cancelError = null;
    }

    internal ValueTask<TResult> Start(ScheduledIo io, string? file, int line, string? member, CancellationToken cancellationToken)
    {
        if (!_wait.IsIdle)
        {
            throw ThrowHelper.SlotBusy(Direction == Interest.Writable);
        }

        TaskCore.Current?.ThrowIfCancelled();
        cancellationToken.ThrowIfCancellationRequested();
        io.ThrowIfFailed();
        int mask = ScheduledIo.MaskOf(Direction);

        // Inline attempts while the registration reports readiness.
        while (true)
        {
            ReadyEvent ready = io.Snapshot(mask);
            if (ready.Ready == Ready.None)
            {
                break;
            }

            if (!Coop.TryConsume())
            {
                _io = io;
                short yieldToken = _wait.Begin(this, file, line, member, default);
                io.ClearCancel(this);
                _wait.RegisterCancellation(this, cancellationToken);
                TaskCore.Current!.EnqueueYield(s_runAfterYield, this);
                return new ValueTask<TResult>(this, yieldToken);
            }

            if (TryExecute(out TResult result))
            {
                return new ValueTask<TResult>(result);
            }

            io.ClearReadiness(ready);
        }

        _io = io;
        short token = _wait.Begin(this, file, line, member, default);
        // Clears a cancellation recorded for the previous wait, under the lock cancellers take (TryDisarm).
        switch (io.TryArm(this, mask, startsWait: true))
        {
            case SlotArm.Armed:
                _wait.RegisterCancellation(this, cancellationToken);
                break;
            case SlotArm.Busy:
                Finish(default, ThrowHelper.SlotBusy(Direction == Interest.Writable));
                break;
            default:
                // Readiness (or a failure) arrived while arming: settle it on this thread now.
                _wait.RegisterCancellation(this, cancellationToken);
                ((IIoSlot)this).Run();
                break;
        }

        return new ValueTask<TResult>(this, token);
    }

    void IIoSlot.Run()
    {
        ScheduledIo io = _io!;
        int mask = ScheduledIo.MaskOf(Direction);
        while (true)
        {
            if (_cancelRequested)
            {
                Finish(default, _cancelError ?? new OperationCanceledException());
                return;
            }

            if (io.IsFailed)
            {
                Finish(default, io.FailureError());
                return;
            }

            ReadyEvent ready = io.Snapshot(mask);
            if (ready.Ready == Ready.None)
            {
                SlotArm arm = io.TryArm(this, mask);
                if (arm == SlotArm.Armed)
                {
                    return;
                }

                if (arm == SlotArm.Busy)
                {
                    Finish(default, ThrowHelper.SlotBusy(Direction == Interest.Writable));
                    return;
                }

                continue;
            }

            TResult result;
            bool done;
            try
            {
                done = TryExecute(out result);
            }
#pragma warning disable CA1031 // The operation's failure is the awaiting task's result.
            catch (Exception error)
#pragma warning restore CA1031
            {
                Finish(default, error);
                return;
            }

            if (done)
            {
                Finish(result, null);
                return;
            }

            io.ClearReadiness(ready);
        }
    }

    void IIoSlot.Fail(Exception error) => Finish(default, error);

    private void Finish(TResult? result, Exception? error)
    {
        _result = result;
        if (!_wait.TryComplete(error))
        {
            _result = default;
        }
    }

    // A token's callback needs no version: the registration is disposed (waiting for a running callback)
    // before the wait ends, so it can only be for the current wait.
    bool ILeaf.TryCancelWait(Exception error) => TryCancel(error, null);

    // An abort or a timeout scope read the task's wait, then cancels it: by version, so one that lost the
    // race with the wait's completion does not end the next wait of the same task on this operation.
    bool ILeaf.TryCancelWaitOf(TaskCore task, Exception error) =>
        _wait.TryGetVersionOf(task, out short version) && TryCancel(error, version);

    private bool TryCancel(Exception error, short? version)
    {
        ScheduledIo? io = _io;
        if (io is null || !_wait.IsWaiting)
        {
            return false;
        }

        if (io.TryDisarm(this, version, error))
        {
            return _wait.TryComplete(error);
        }

        // Running on a waker (or yielding): it sees the request before it re-arms; or a later wait.
        return false;
    }

    LeafInfo ILeaf.Describe() =>
        _wait.Describe(Direction == Interest.Writable ? "io write" : "io read", _io?.Description);

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(this, continuation, state, token, flags);

    TResult IValueTaskSource<TResult>.GetResult(short token)
    {
        _wait.ThrowIfPending(token);
        TResult result = _result!;
        _result = default;
        _wait.GetResult(this, token);
        return result;
    }
}
