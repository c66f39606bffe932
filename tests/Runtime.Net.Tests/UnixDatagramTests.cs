using System.Runtime.Versioning;
using System.Text;
using SpindleNetTests.Support;

namespace SpindleNetTests;

/// <summary>UnixDatagram on every scheduler and backend: pairs, file paths and abstract names.</summary>
[SupportedOSPlatform("linux")]
public sealed class UnixDatagramTests
{
    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private static string Text(byte[] buffer, int count) => Encoding.ASCII.GetString(buffer, 0, count);

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"spndl-{Guid.NewGuid():N}.sock");

    private static string AbstractName() => $"@spindle-test-{Guid.NewGuid():N}";

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Pair_RoundTrip_BothWays(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            (UnixDatagram a, UnixDatagram b) = UnixDatagram.Pair();
            using (a)
            using (b)
            {
                Assert.Null(a.LocalPath);
                Assert.Null(b.PeerPath);
                byte[] buffer = new byte[32];
                JoinHandle<int> receiver = SpindleTask.Spawn(async () => await b.ReceiveAsync(buffer));
                Assert.Equal(4, await a.SendAsync(Bytes("ping")));
                Assert.Equal(4, await receiver);
                Assert.Equal("ping", Text(buffer, 4));

                await b.SendAsync(Bytes("pong"));
                UnixDatagramReceiveFromResult r = await a.ReceiveFromAsync(buffer);
                Assert.Equal("pong", Text(buffer, r.Count));
                Assert.Null(r.RemotePath);
            }
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void BoundPaths_RoundTrip_ReportSenderPath(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string serverPath = TempPath();
            string clientPath = TempPath();
            using UnixDatagram server = UnixDatagram.Bind(serverPath);
            using UnixDatagram client = UnixDatagram.Bind(clientPath);
            Assert.Equal(serverPath, server.LocalPath);

            Assert.Equal(5, await client.SendToAsync(Bytes("hello"), serverPath));
            byte[] buffer = new byte[32];
            UnixDatagramReceiveFromResult r = await server.ReceiveFromAsync(buffer);
            Assert.Equal("hello", Text(buffer, r.Count));
            Assert.Equal(clientPath, r.RemotePath);

            await server.SendToAsync(Bytes("reply"), r.RemotePath!);
            Assert.Equal(5, await client.ReceiveAsync(buffer));
            Assert.Equal("reply", Text(buffer, 5));

            client.Connect(serverPath);
            Assert.Equal(serverPath, client.PeerPath);
            await client.SendAsync(Bytes("conn"));
            r = await server.ReceiveFromAsync(buffer);
            Assert.Equal(new UnixDatagramReceiveFromResult(4, clientPath), r);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void AbstractName_RoundTrip_FromAnUnboundSender(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string name = AbstractName();
            using UnixDatagram server = UnixDatagram.Bind(name);
            Assert.Equal(name, server.LocalPath);
            using UnixDatagram client = UnixDatagram.Unbound();
            await client.SendToAsync(Bytes("abstract"), name);
            byte[] buffer = new byte[32];
            UnixDatagramReceiveFromResult r = await server.ReceiveFromAsync(buffer);
            Assert.Equal("abstract", Text(buffer, r.Count));
            Assert.Null(r.RemotePath);

            // '\0' is accepted as well and names the same socket.
            await client.SendToAsync(Bytes("nul"), "\0" + name[1..]);
            Assert.Equal(3, await server.ReceiveAsync(buffer));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void TryForms_NeverWait_AndSucceedOnceReady(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string name = AbstractName();
            using UnixDatagram server = UnixDatagram.Bind(name);
            (UnixDatagram a, UnixDatagram b) = UnixDatagram.Pair();
            using (a)
            using (b)
            {
                byte[] buffer = new byte[32];
                Assert.False(b.TryReceive(buffer, out _));
                Assert.True(a.TrySend(Bytes("try"), out int sent));
                Assert.Equal(3, sent);
                int n;
                while (!b.TryReceive(buffer, out n))
                {
                    await b.ReadyAsync(Interest.Readable);
                }

                Assert.Equal("try", Text(buffer, n));

                Assert.False(server.TryReceiveFrom(buffer, out _));
                Assert.True(a.TrySendTo(Bytes("to"), name, out _));
                UnixDatagramReceiveFromResult r;
                while (!server.TryReceiveFrom(buffer, out r))
                {
                    await server.ReadyAsync(Interest.Readable);
                }

                Assert.Equal("to", Text(buffer, r.Count));
            }
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Receive_ManyTasksAtOnce_EachDatagramReceivedOnce(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            const int Count = 8;
            (UnixDatagram a, UnixDatagram b) = UnixDatagram.Pair();
            using (a)
            using (b)
            {
                var receivers = new JoinHandle<string>[Count];
                for (int i = 0; i < Count; i++)
                {
                    receivers[i] = SpindleTask.Spawn(async () =>
                    {
                        byte[] buffer = new byte[16];
                        return Text(buffer, await b.ReceiveAsync(buffer));
                    });
                }

                for (int i = 0; i < Count; i++)
                {
                    await a.SendAsync(Bytes($"d{i}"));
                }

                var seen = new List<string>();
                foreach (JoinHandle<string> receiver in receivers)
                {
                    seen.Add(await receiver);
                }

                Assert.Equal(Enumerable.Range(0, Count).Select(i => $"d{i}"), seen.Order());
            }
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Cancel_ByTokenOrAbort_LeavesTheSocketUsable(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            (UnixDatagram a, UnixDatagram b) = UnixDatagram.Pair();
            using (a)
            using (b)
            {
                byte[] buffer = new byte[16];
                using var cts = new CancellationTokenSource();
                ValueTask<int> pending = b.ReceiveAsync(buffer, cts.Token);
                Assert.False(pending.IsCompleted);
                cts.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);

                JoinHandle<int> blocked = SpindleTask.Spawn(async () => await b.ReceiveAsync(new byte[16]));
                await SpindleTask.YieldAsync();
                blocked.Abort();
                await Assert.ThrowsAsync<TaskAbortedException>(async () => await blocked);

                await a.SendAsync(Bytes("alive"));
                Assert.Equal(5, await b.ReceiveAsync(buffer));
                Assert.Equal("alive", Text(buffer, 5));
            }
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Dispose_DeletesTheBoundFile_AndAnExistingFileBlocksBind(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, () =>
        {
            string path = TempPath();
            UnixDatagram socket = UnixDatagram.Bind(path);
            Assert.True(File.Exists(path));
            SocketException inUse = Assert.Throws<SocketException>(() => UnixDatagram.Bind(path));
            Assert.Equal(SocketError.AddressAlreadyInUse, inUse.SocketErrorCode);
            Assert.Contains(path, inUse.Message);
            socket.Dispose();
            Assert.False(File.Exists(path));

            // A stale file (say, left by a crashed process) still blocks Bind; deleting it is the caller's call.
            File.WriteAllText(path, "");
            try
            {
                Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => UnixDatagram.Bind(path)).SocketErrorCode);
            }
            finally
            {
                File.Delete(path);
            }

            return Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void BadInput_Throws_WithClearErrors(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            Assert.Throws<ArgumentNullException>(() => UnixDatagram.Bind(null!));
            Assert.Throws<ArgumentException>(() => UnixDatagram.Bind(""));
            Assert.Throws<ArgumentOutOfRangeException>(() => UnixDatagram.Bind("/tmp/" + new string('x', 200)));
            // 108 bytes: one more than sun_path holds with its terminator. The message says so (not .NET's "1 to 108, inclusive").
            var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => UnixDatagram.Bind("/tmp/" + new string('x', 103)));
            Assert.Equal("path", tooLong.ParamName);
            Assert.Contains("at most 107 bytes", tooLong.Message, StringComparison.Ordinal);
            Assert.Contains("this one is 108", tooLong.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => UnixDatagram.Bind("@" + new string('x', 108)));
            UnixDatagram.Bind("@" + new string('x', 107)).Dispose();
            Assert.Throws<ArgumentNullException>(() => UnixDatagram.FromSocket(null!));
            using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                Assert.Throws<ArgumentException>(() => UnixDatagram.FromSocket(udp));
            }

            using UnixDatagram unbound = UnixDatagram.Unbound();
            string missing = TempPath();
            SocketException noPeer = await Assert.ThrowsAsync<SocketException>(async () => await unbound.SendToAsync(Bytes("x"), missing));
            Assert.Contains(missing, noPeer.Message);
            Assert.Throws<SocketException>(() => unbound.Connect(missing));
            Assert.Throws<ArgumentNullException>(() => unbound.SendToAsync(Bytes("x"), null!));

            (UnixDatagram a, UnixDatagram b) = UnixDatagram.Pair();
            ValueTask<int> pending = a.ReceiveAsync(new byte[8]);
            a.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending);
            Assert.Throws<ObjectDisposedException>(() => a.TrySend(Bytes("x"), out _));
            Assert.Throws<ObjectDisposedException>(() => a.LocalPath);

            using Socket raw = b.IntoSocket();
            Assert.Throws<ObjectDisposedException>(() => b.IntoSocket());
            using UnixDatagram again = UnixDatagram.FromSocket(raw);
            SocketException peerGone = await Assert.ThrowsAsync<SocketException>(async () => await again.SendAsync(Bytes("x")));
            Assert.Contains("send on", peerGone.Message);
        });
    }
}
