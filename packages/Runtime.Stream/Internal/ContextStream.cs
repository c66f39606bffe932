using System.Collections.Generic;
using System.Threading;

namespace Spindle.Streams.Internal;

// The stream a public method returns: the iterator behind it, enumerated through a ContextEnumerator
// so that a consumer waiting on a Spindle task is resumed without allocating (see ContextEnumerator).
internal sealed class ContextStream<T> : IAsyncEnumerable<T>
{
    private readonly IAsyncEnumerable<T> _iterator;

    public ContextStream(IAsyncEnumerable<T> iterator) => _iterator = iterator;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new ContextEnumerator<T>(_iterator.GetAsyncEnumerator(cancellationToken));
}
