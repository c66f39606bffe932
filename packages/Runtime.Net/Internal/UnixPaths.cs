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

            return new UnixDomainSocketEndPoint("\0" + path[1..]);
        }

        return new UnixDomainSocketEndPoint(path);
    }
}
