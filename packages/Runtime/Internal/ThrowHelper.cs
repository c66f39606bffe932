using System;
using System.Diagnostics.CodeAnalysis;

namespace Spindle.Internal;

/// <summary>Throw sites kept out of hot paths; every message says what went wrong and what to do.</summary>
internal static partial class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowNoRuntime(string operation) =>
        throw new InvalidOperationException(
            $"{operation} must be called from code running on a Spindle runtime (inside a spawned task, BlockOn or a worker thread). " +
            "Create a runtime with RuntimeBuilder and call BlockOn, or pass a RuntimeHandle explicitly.");

    /// <summary>The longest wait the runtime's threads can make at once (Monitor.Wait and friends take int milliseconds).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>Throws unless <paramref name="value"/> is at most <see cref="MaxWait"/> (the lower bound is the caller's).</summary>
    public static void ThrowIfLongerThanMaxWait(TimeSpan value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value > MaxWait)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be at most {MaxWait} (int.MaxValue milliseconds, about 24.8 days): the runtime's threads wait with a millisecond count of that size.");
        }
    }

    [DoesNotReturn]
    public static void ThrowShutDown() =>
        throw new InvalidOperationException(
            "The Spindle runtime has been shut down; no task can be spawned on it. Spawn before calling Shutdown or Dispose, or create a new runtime.");

    [DoesNotReturn]
    public static void ThrowBlockOnReentrant() =>
        throw new InvalidOperationException(
            "BlockOn cannot be called from a thread that is already driving a Spindle runtime (a worker or another BlockOn): it would block the thread that must run the tasks. " +
            "Await the work instead, or use SpawnBlocking to run blocking code.");

    [DoesNotReturn]
    public static void ThrowMultipleAwaiters() =>
        throw new InvalidOperationException(
            "This Spindle awaitable is already being awaited. A JoinHandle or leaf supports one awaiter at a time; call AsTask() to share the result among several awaiters.");

    [DoesNotReturn]
    public static void ThrowBadToken() =>
        throw new InvalidOperationException(
            "A ValueTask was awaited after its result had already been consumed (or awaited twice). Await each Spindle ValueTask exactly once, or call AsTask().");

    [DoesNotReturn]
    public static void ThrowNoCurrentTask(string operation) =>
        throw new InvalidOperationException(
            $"{operation} must be called from inside a task spawned on a Spindle runtime. Use SpindleTask.Spawn or Runtime.BlockOn to run the code as a task.");

    [DoesNotReturn]
    public static void ThrowBlockingOnRuntime(string operation) =>
        throw new InvalidOperationException(
            $"{operation} blocks the calling thread and cannot be called from a Spindle task or worker thread: it would stall the thread that must run the task it waits for. " +
            "Await the asynchronous form instead, or call it from SpawnBlocking or a thread outside the runtime.");

    [DoesNotReturn]
    public static void ThrowReleasedTwice(int releasing, int available, int limit) =>
        throw new InvalidOperationException(
            $"Releasing {releasing} permit(s) to the {available} available would exceed the limit of {limit}: a permit or guard was disposed more than once (or so was a copy of it). Nothing was released; dispose each permit or guard exactly once.");
}
