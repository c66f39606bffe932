using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Streams.Internal;

// AsyncStreams.Merge: a StreamMap per enumeration, keyed by position, so every enumeration of the
// merge is independent. The enumerator only drops the keys: each step is the map's own step, passed
// through without another iterator (which would add a state machine and a hop per wait).
internal sealed class MergeStream<T> : IAsyncEnumerable<T>
{
    private readonly IAsyncEnumerable<T>[] _sources;

    public MergeStream(IAsyncEnumerable<T>[] sources) => _sources = sources;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var map = new StreamMap<int, T>();
        for (int i = 0; i < _sources.Length; i++)
        {
            map.Add(i, _sources[i]);
        }

        return new Enumerator(map.GetAsyncEnumerator(cancellationToken));
    }

    private sealed class Enumerator : IAsyncEnumerator<T>
    {
        private readonly IAsyncEnumerator<KeyValuePair<int, T>> _map;

        public Enumerator(IAsyncEnumerator<KeyValuePair<int, T>> map) => _map = map;

        public T Current => _map.Current.Value;

        public ValueTask<bool> MoveNextAsync() => _map.MoveNextAsync();

        public ValueTask DisposeAsync() => _map.DisposeAsync();
    }
}
