using System.Runtime.InteropServices;

namespace Spindle.Sync;

/// <summary>
/// The two hot positions of an <see cref="MpscQueue{T}"/> on cache lines of their own (64 bytes
/// apart, with 64 bytes of padding before the first and after the second), so producers claiming
/// positions do not keep invalidating the line the consumer reads its position from. The BCL's
/// <c>PaddedHeadAndTail</c> puts them 128 bytes apart against adjacent-line prefetch; measured here
/// (the contended mpsc harness, 2 workers) that made no difference, so the smaller layout stays.
/// Not nested in the queue: the runtime refuses explicit layout on (implicitly) generic types.
/// </summary>
/// <remarks>Mutable struct: fields holding it are never <c>readonly</c>. The queue documents each access.</remarks>
[StructLayout(LayoutKind.Explicit, Size = 3 * CacheLine)]
internal struct MpscPositions
{
    /// <summary>The x64/arm64 cache line size.</summary>
    private const int CacheLine = 64;

    /// <summary>Next position to claim &lt;&lt; 2 | seal flags.</summary>
    [FieldOffset(CacheLine)]
    public long Tail;

    /// <summary>Next position the consumer reads.</summary>
    [FieldOffset(2 * CacheLine)]
    public long Index;
}
