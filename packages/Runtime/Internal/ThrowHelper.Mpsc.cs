using System;
using System.Diagnostics.CodeAnalysis;

namespace Spindle.Internal;

/// <summary>Throw sites of the mpsc and oneshot channels.</summary>
internal static partial class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowRecvResultWithoutValue() =>
        throw new InvalidOperationException(
            "This RecvResult holds no value: the channel has ended (every sender is gone or the receiver was closed). " +
            "Check HasValue or call TryGetValue before reading Value.");

    [DoesNotReturn]
    public static void ThrowPermitNotUsable() =>
        throw new InvalidOperationException(
            "This MpscPermit was already used to send, was disposed, or was never reserved (default). " +
            "A permit sends exactly one value: reserve a new one with ReserveAsync or TryReserve for each value.");

    [DoesNotReturn]
    public static void ThrowConcurrentReceive() =>
        throw new InvalidOperationException(
            "This receiver already has a receive in progress. A channel receiver supports one receive at a time: " +
            "await each RecvAsync/RecvManyAsync before starting the next one, and do not call TryRecv while one is pending.");

    [DoesNotReturn]
    public static void ThrowOneshotAlreadySent() =>
        throw new InvalidOperationException(
            "A value was already sent on this oneshot channel; a oneshot carries exactly one value. Create a new channel with Oneshot.Create for the next value.");

    [DoesNotReturn]
    public static void ThrowOneshotClosedAwaited() =>
        throw new InvalidOperationException(
            "ClosedAsync is already being awaited on this oneshot sender. Await it from one place at a time, or call AsTask() to share the wait.");
}
