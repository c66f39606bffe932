using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace Spindle.Internal;

/// <summary>Throw sites of the broadcast and watch channels.</summary>
internal static partial class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBadBroadcastCapacity(int capacity) =>
        throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
            $"A broadcast channel needs a capacity between 1 and {1 << 30} (it is rounded up to a power of two). " +
            "Pass how many values a slow receiver may fall behind before it is told it lagged.");

    [DoesNotReturn]
    public static void ThrowReceiverBusy(string operation) =>
        throw new InvalidOperationException(
            $"{operation} was called while a wait of the same receiver is still pending (or its result was not taken yet). " +
            "A receiver serves one consumer at a time: await each receive before the next, and give every concurrent consumer its own receiver (Resubscribe or Clone).");

    [DoesNotReturn]
    public static void ThrowNoBroadcastValue(string status) =>
        throw new InvalidOperationException(
            $"This broadcast result holds no value: its status is {status}. Check Status (or use TryGetValue) before reading Value.");

    [DoesNotReturn]
    public static void ThrowWatchClosedBeforeMatch() =>
        throw new ChannelClosedException(
            "The watch sender was disposed before any value satisfied the predicate, so none ever will. " +
            "Catch ChannelClosedException to handle the end of the channel, or keep the sender alive while receivers wait.");
}
