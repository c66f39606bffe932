using System;

namespace Spindle.IO;

/// <summary>
/// Readiness bits of an I/O resource, as reported by the driver (DESIGN.md §4). The closed bits are
/// never cleared: once the read side closed, every later read finds it closed.
/// </summary>
[Flags]
public enum Ready
{
    /// <summary>Nothing is ready.</summary>
    None = 0,

    /// <summary>A read would not block.</summary>
    Readable = 1,

    /// <summary>A write would not block.</summary>
    Writable = 2,

    /// <summary>The read side reached end of stream (peer shut down its writes, or the connection ended).</summary>
    ReadClosed = 4,

    /// <summary>The write side is closed (peer gone, or the connection ended).</summary>
    WriteClosed = 8,

    /// <summary>Priority (out-of-band) data can be read.</summary>
    Priority = 16,

    /// <summary>The resource reported an error condition.</summary>
    Error = 32,
}
