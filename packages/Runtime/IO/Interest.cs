using System;

namespace Spindle.IO;

/// <summary>
/// The readiness a task waits for on an I/O resource (tokio's <c>Interest</c>). Combine with <c>|</c>:
/// a wait for <c>Readable | Writable</c> ends when either becomes ready.
/// </summary>
/// <remarks>
/// <see cref="Readable"/> is also satisfied by <see cref="Ready.ReadClosed"/> and <see cref="Writable"/>
/// by <see cref="Ready.WriteClosed"/>, so a task waiting to read learns about end of stream and
/// errors without asking for them separately.
/// </remarks>
[Flags]
#pragma warning disable CA1711 // "Interest" names what it is; the flags are not a collection.
public enum Interest
#pragma warning restore CA1711
{
    /// <summary>Data can be read, or the read side closed.</summary>
    Readable = 1,

    /// <summary>Data can be written, or the write side closed.</summary>
    Writable = 2,

    /// <summary>Priority (out-of-band) data can be read (<c>EPOLLPRI</c>).</summary>
    Priority = 16,

    /// <summary>The resource reported an error condition (<c>EPOLLERR</c>).</summary>
    Error = 32,
}
