using System.Diagnostics.CodeAnalysis;

namespace Spindle.Sync;

/// <summary>
/// A sender of a bounded mpsc channel that does not keep it open (tokio's <c>WeakSender</c>): hold it
/// where a reference cycle or a long-lived registry must not stop the receiver from seeing the end.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
/// <remarks><para><b>Thread safety:</b> thread-safe. It owns nothing, so it needs no disposal.</para></remarks>
public sealed class WeakMpscSender<T>
{
    private readonly MpscChannel<T> _channel;

    internal WeakMpscSender(MpscChannel<T> channel) => _channel = channel;

    /// <summary>Gets a strong sender again, if at least one strong sender is still alive.</summary>
    /// <param name="sender">The new strong sender (dispose it), or null.</param>
    /// <returns><see langword="false"/> once every strong sender has been disposed: the channel cannot be reopened.</returns>
    public bool TryUpgrade([NotNullWhen(true)] out MpscSender<T>? sender)
    {
        sender = _channel.TryAddSender() ? new MpscSender<T>(_channel) : null;
        return sender is not null;
    }
}
