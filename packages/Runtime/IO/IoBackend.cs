namespace Spindle.IO;

/// <summary>Which readiness backend a runtime's I/O driver uses (<see cref="RuntimeBuilder.IoBackend"/>).</summary>
public enum IoBackend
{
    /// <summary>The operating system's native backend where Spindle has one (epoll on Linux), the portable one elsewhere.</summary>
    Auto = 0,

    /// <summary>epoll, edge-triggered, polled by the worker that parks (Linux only).</summary>
    Epoll = 1,

    /// <summary>
    /// The portable backend, built on .NET's own socket layer (<c>Socket.Select</c>); it runs on every
    /// operating system and serves sockets only (not <see cref="AsyncFd"/>). Forcing it on Linux runs
    /// the same code other systems use.
    /// </summary>
    Portable = 2,
}
