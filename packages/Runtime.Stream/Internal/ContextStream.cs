using System.Collections.Generic;
using System.Threading;

namespace Spindle.Streams.Internal;

// The stream a public method returns: the iterator behind it, enumerated through a ContextEnumerator
// so that a consumer waiting on a Spindle task is resumed without allocating (see ContextEnumerator).
internal sealed class ContextStream<T> : IAsyncEnumerable<T>
{
    private readonly IAsyncEnumerable<T> _iterator;
    private readonly bool _handsOverItems;

    /// <param name="iterator">The compiler-generated iterator.</param>
    /// <param name="handsOverItems">
    /// Whether each item becomes its consumer's to own (an accepted connection, a message taken from a
    /// channel), so a combinator that drops one it took and never yielded disposes it. False for shared
    /// values (a watch's current value, a broadcast value every receiver sees).
    /// </param>
    public ContextStream(IAsyncEnumerable<T> iterator, bool handsOverItems = false)
    {
        _iterator = iterator;
        _handsOverItems = handsOverItems;
    }

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new ContextEnumerator<T>(_iterator.GetAsyncEnumerator(cancellationToken), _handsOverItems);
}
