using System;
using System.IO;

namespace Spindle.Internal;

/// <summary>Errors of the I/O driver and registrations.</summary>
internal static partial class ThrowHelper
{
    public static InvalidOperationException SlotBusy(bool write) => new(write
        ? "A write is already in progress on this I/O resource: stream-style writes run one at a time. Await the pending write first, or use ReadinessAsync for shared access."
        : "A read is already in progress on this I/O resource: stream-style reads run one at a time. Await the pending read first, or use ReadinessAsync for shared access.");

    public static IOException IoShutDown(string resource) => new(
        $"The Spindle runtime that drives {resource} has shut down, so the resource can no longer wait for readiness. Finish I/O before shutting the runtime down, or register the resource with a runtime that is still running.");

    public static InvalidOperationException NoIoDriver() => new(
        "This Spindle runtime was built without its I/O driver. Build it with RuntimeBuilder.EnableIo() (the default) to use sockets and AsyncFd.");
}
