using System.Reflection;

namespace SpindleNetTests;

/// <summary>
/// DESIGN.md §1 for Spindle.Runtime.Net: the project imports System, System.IO, System.Net,
/// System.Net.Sockets, System.Threading and System.Threading.Tasks globally, so naming the types
/// unqualified here would not compile on a clash; the reflection test covers types added later.
/// Not a network test, so it does not run on the runtime matrix.
/// </summary>
public sealed class NameClashTests
{
    private static readonly string[] s_systemNamespaces =
        ["System", "System.IO", "System.Net", "System.Net.Sockets", "System.Threading", "System.Threading.Tasks"];

    [Fact]
    public void StreamTypes_CompileUnqualified_BesideSystemNamespaces()
    {
        Type[] used =
        [
            typeof(StreamSocket), typeof(TcpStream), typeof(AsyncTcpListener), typeof(TcpSocket),
            typeof(ReadHalf), typeof(WriteHalf), typeof(OwnedReadHalf), typeof(OwnedWriteHalf),
            typeof(UnixStream), typeof(UnixListener), typeof(UnixCredentials),
        ];
        Assert.All(used, t => Assert.Equal("Spindle.Net", t.Namespace));
        _ = (IPAddress.Loopback, SocketFlags.None, FileMode.Open, TaskStatus.Created);
    }

    [Fact]
    public void NoPublicType_SharesANameWithATypeInTheImportedSystemNamespaces()
    {
        var systemNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (Assembly assembly in new[] { typeof(object), typeof(Uri), typeof(Socket), typeof(IPAddress), typeof(FileStream), typeof(Task), typeof(System.Threading.Lock), typeof(Parallel), typeof(System.Net.Sockets.TcpListener) }.Select(t => t.Assembly).Distinct())
        {
            foreach (Type type in assembly.GetExportedTypes())
            {
                if (type.Namespace is { } ns && s_systemNamespaces.Contains(ns))
                {
                    systemNames.Add(type.Name);
                }
            }
        }

        Assert.Contains("TcpListener", systemNames);
        Assert.Empty(typeof(TcpStream).Assembly.GetExportedTypes().Where(t => systemNames.Contains(t.Name)).Select(t => t.FullName));
    }
}
