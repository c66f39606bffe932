using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Spindle.Net.Interop.Linux;

/// <summary>The libc calls of Spindle.Net on Linux (DESIGN.md §1: one place per OS). .NET has no <c>socketpair</c>.</summary>
[SupportedOSPlatform("linux")]
internal static partial class Libc
{
    public const int AF_UNIX = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int EMFILE = 24;
    public const int ENFILE = 23;
    public const int ENOBUFS = 105;
    public const int ENOMEM = 12;

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, [Out] int[] fds);
}
