namespace Spindle.Sync;

/// <summary>
/// Creates oneshot channels (tokio's <c>sync::oneshot</c>): one value, sent once from one place to one
/// waiting receiver — the reply half of a request, or the result of a piece of work handed to another task.
/// </summary>
/// <remarks><para><b>Thread safety:</b> thread-safe.</para></remarks>
/// <example>
/// <code>
/// var (tx, rx) = Oneshot.Create&lt;int&gt;();
/// SpindleTask.Spawn(() =&gt; { using (tx) { tx.Send(Compute()); } return Task.CompletedTask; });
/// RecvResult&lt;int&gt; reply = await rx.RecvAsync();   // no value if tx was disposed without sending
/// </code>
/// </example>
public static class Oneshot
{
    /// <summary>Creates a oneshot channel.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <returns>The sender (send once or dispose) and the receiver.</returns>
    public static (OneshotSender<T> Sender, OneshotReceiver<T> Receiver) Create<T>()
    {
        var receiver = new OneshotReceiver<T>();
        return (new OneshotSender<T>(receiver), receiver);
    }
}
