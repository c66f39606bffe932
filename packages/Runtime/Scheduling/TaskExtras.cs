using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using Spindle.Internal;
using Spindle.Time;

namespace Spindle.Scheduling;

/// <summary>
/// The parts of a task that most tasks never use, kept out of the task object so a spawn allocates
/// less: the name, the cancellation token's source, timeout scopes and the locked leaf slots, and
/// the outcome details only BlockOn, LocalSet or a failing task need. Allocated at most once per
/// task, on first use (see <see cref="TaskCore.Extras"/>).
/// </summary>
/// <remarks>
/// Each field keeps the synchronization it had on the task: the leaf slots are touched under the
/// task's spin lock, <see cref="Cts"/> is published with a CAS, <see cref="ActiveScopes"/> with
/// interlocked increments, the outcome fields before the task's Complete bit is set.
/// </remarks>
internal sealed class TaskExtras
{
    /// <summary>The name given at spawn, or null.</summary>
    public string? Name;

    /// <summary>Where the task's queue of pending continuations spills past its inline entry (<see cref="ContinuationQueue"/>).</summary>
    public Queue<(Delegate Callback, object? State)>? PendingRest;

    /// <summary>The source behind the task's <see cref="CancellationToken"/>, created on first request.</summary>
    public CancellationTokenSource? Cts;

    /// <summary>How many timeout scopes are open in the task.</summary>
    public int ActiveScopes;

    /// <summary>The locked leaf slot (a leaf registered in a timeout scope, or a second leaf).</summary>
    public ILeaf? Leaf;

    /// <summary>The scope <see cref="Leaf"/> was registered in.</summary>
    public TimeoutScope? LeafScope;

    /// <summary>Further leaves beyond <see cref="Leaf"/>.</summary>
    public List<(ILeaf Leaf, TimeoutScope? Scope)>? MoreLeaves;

    /// <summary>
    /// Expired timeout scopes cancelling leaves they found registered, between their look at the slots
    /// (under the lock) and the end of their cancel calls (outside it). Interlocked.
    /// </summary>
    public int ScopeCancelsInFlight;

    /// <summary>How many of the task's resumptions are held until <see cref="ScopeCancelsInFlight"/> drops to zero (listings and tests).</summary>
    public int ResumesHeld;

    /// <summary>The failure of a faulted task.</summary>
    public ExceptionDispatchInfo? Error;

    /// <summary>Why the current join ended early (the joiner was aborted or timed out), for its GetResult.</summary>
    public Exception? JoinCancelError;

    /// <summary>
    /// Where an explicit <c>AsValueTask()</c> join awaits (<see cref="TaskCell{T}.RecordJoiner"/>), for
    /// the join leaf's description. A plain <c>await handle</c> cannot see its caller and records
    /// nothing, so the common join leaves this object uncreated.
    /// </summary>
    public string? JoinerFile;

    /// <summary>The line of <see cref="JoinerFile"/>.</summary>
    public int JoinerLine;

    /// <summary>Called once on completion (BlockOn's wake-up).</summary>
    public Action? CompletionNotify;

    /// <summary>Whether someone (BlockOn, LocalSet) consumes the outcome even without a join waiter.</summary>
    public bool Observed;
}
