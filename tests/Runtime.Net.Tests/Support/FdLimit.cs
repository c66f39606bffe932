using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace SpindleNetTests.Support;

/// <summary>
/// Makes the process run out of file descriptors for a moment: the soft RLIMIT_NOFILE is lowered to the
/// lowest free descriptor number, so the next descriptor the process asks for fails with EMFILE.
/// Only for tests in the non-parallel <see cref="ProcessLimitTests"/>; dispose at once to restore.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class FdLimit : IDisposable
{
    private const int RlimitNofile = 7;
    private readonly Rlimit _saved;

    private FdLimit(Rlimit saved) => _saved = saved;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Max;
    }

    public static FdLimit Exhaust()
    {
        if (GetRlimit(RlimitNofile, out Rlimit saved) != 0)
        {
            throw new InvalidOperationException($"getrlimit failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var open = new HashSet<int>(Directory.GetFiles("/proc/self/fd").Select(path => int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture)));
        int lowestFree = 0;
        while (open.Contains(lowestFree))
        {
            lowestFree++;
        }

        var lowered = new Rlimit { Current = (ulong)lowestFree, Max = saved.Max };
        if (SetRlimit(RlimitNofile, in lowered) != 0)
        {
            throw new InvalidOperationException($"setrlimit failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return new FdLimit(saved);
    }

    public void Dispose()
    {
        Rlimit saved = _saved;
        if (SetRlimit(RlimitNofile, in saved) != 0)
        {
            throw new InvalidOperationException($"restoring RLIMIT_NOFILE failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, in Rlimit limit);
}

/// <summary>Tests that change process-wide limits run alone.</summary>
[CollectionDefinition(nameof(ProcessLimitTests), DisableParallelization = true)]
public sealed class ProcessLimitTests;
