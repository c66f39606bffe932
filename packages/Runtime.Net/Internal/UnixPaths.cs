using System;
using System.Net.Sockets;

namespace Spindle.Net.Internal;

/// <summary>Turns a Unix socket path as users write it into an endpoint.</summary>
internal static class UnixPaths
{
    /// <summary>
    /// A path starting with <c>'\0'</c> or <c>'@'</c> names a Linux abstract socket (no file; <c>'@'</c> is
    /// the spelling <c>ss</c> and <c>socat</c> use); anything else is a filesystem path.
    /// </summary>
    public static UnixDomainSocketEndPoint ToEndPoint(string path, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, paramName);
        if (path[0] is '\0' or '@')
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException($"Abstract Unix socket names ('{path}') exist only on Linux; use a filesystem path.");
            }

            string name = path[1..];
            ThrowIfTooLong(name, MaxNameBytes, "An abstract Unix socket name", path, paramName);
            return new UnixDomainSocketEndPoint("\0" + name);
        }

        ThrowIfTooLong(path, MaxNameBytes, "A Unix socket path", path, paramName);
        return new UnixDomainSocketEndPoint(path);
    }

    /// <summary>
    /// Bytes a name may have: <c>sun_path</c> is 108 bytes on Linux and Windows (104 on macOS and the BSDs),
    /// one of which ends a path (or starts an abstract name). .NET's own check refuses the same lengths but
    /// says "between 1 and 108 characters, inclusive" while refusing 108.
    /// </summary>
    private static int MaxNameBytes => OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 103 : 107;

    private static void ThrowIfTooLong(string name, int max, string what, string path, string paramName)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(name);
        if (bytes > max)
        {
            throw new ArgumentOutOfRangeException(paramName, path,
                $"{what} can be at most {max} bytes (UTF-8) on this platform; this one is {bytes}. Use a shorter path, such as a shorter directory or a path relative to the working directory.");
        }
    }
}
