using System.Threading;

namespace Spindle.Scheduling.MultiThread;

/// <summary>The runtime's driver plus the try-lock that lets exactly one worker park on (or poll) it at a time.</summary>
internal sealed class SharedDriver
{
    private int _locked;

    public SharedDriver(Driver driver) => Driver = driver;

    public Driver Driver { get; }

    public bool TryLock() => Interlocked.CompareExchange(ref _locked, 1, 0) == 0;

    // Release: the next holder sees the driver state this holder left.
    public void Unlock() => Volatile.Write(ref _locked, 0);
}
