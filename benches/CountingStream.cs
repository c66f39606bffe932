using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Spindle.Benchmarks;

/// <summary>
/// The source of the <c>Stream*</c> benchmarks: 0, 1, … count-1, every <c>MoveNextAsync</c> completes
/// at once and allocates nothing, so the combinator (or its hand-written baseline) dominates.
/// </summary>
internal sealed class CountingStream : IAsyncEnumerable<int>
{
    private readonly int _count;

    public CountingStream(int count) => _count = count;

    public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(_count);

    private sealed class Enumerator : IAsyncEnumerator<int>
    {
        private readonly int _count;

        public Enumerator(int count) => _count = count;

        public int Current { get; private set; } = -1;

        public ValueTask<bool> MoveNextAsync() => new(++Current < _count);

        public ValueTask DisposeAsync() => default;
    }
}
