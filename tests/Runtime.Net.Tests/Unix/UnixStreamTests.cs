using SpindleNetTests.Support;

namespace SpindleNetTests.Unix;

public sealed class UnixStreamTests
{
    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"spindle-{Guid.NewGuid():N}.sock");

    private static string AbstractName() => $"@spindle-{Guid.NewGuid():N}";

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Echo_OverAFilesystemPath_RoundTrips(RuntimeFlavor flavor, IoBackend backend)
    {
        string path = TempPath();
        try
        {
            NetRt.Run(flavor, backend, async () =>
            {
                using var listener = UnixListener.Bind(path);
                Assert.True(File.Exists(path));
                JoinHandle server = SpindleTask.Spawn(async () =>
                {
                    using UnixStream stream = await listener.AcceptAsync();
                    byte[] buffer = new byte[64];
                    int n;
                    while ((n = await stream.ReadAsync(buffer)) > 0)
                    {
                        await stream.WriteAllAsync(buffer.AsMemory(0, n));
                    }
                });

                using UnixStream client = await UnixStream.ConnectAsync(path);
                await client.WriteAllAsync("unix echo"u8.ToArray());
                Assert.Equal("unix echo"u8.ToArray(), await TcpPair.ReadExactlyAsync(client, 9));
                client.ShutdownWrite();
                await server;
                Assert.Equal(0, await client.ReadAsync(new byte[1]));
            });

            // Dispose removes the socket file its bind created.
            Assert.False(File.Exists(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Bind_ExistingFile_ThrowsAddressInUseUntilDeleted(RuntimeFlavor flavor, IoBackend backend)
    {
        string path = TempPath();
        try
        {
            NetRt.Run(flavor, backend, () =>
            {
                UnixListener.Bind(path).Dispose();
                Assert.False(File.Exists(path));
                File.WriteAllText(path, "stale");
                SocketException error = Assert.Throws<SocketException>(() => UnixListener.Bind(path));
                Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
                Assert.Contains(path, error.Message, StringComparison.Ordinal);

                File.Delete(path);
                using var again = UnixListener.Bind(path);
                Assert.Equal(path, again.Path);
                return Task.CompletedTask;
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void PeerCredentials_AreThisProcess_OverAnAbstractName(RuntimeFlavor flavor, IoBackend backend)
    {
        if (OperatingSystem.IsLinux())
        {
            Run(flavor, backend);
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void Run(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string name = AbstractName();
            using var listener = UnixListener.Bind(name);
            Assert.Equal(name, listener.Path);
            Assert.Contains(name, listener.ToString(), StringComparison.Ordinal);
            Assert.False(File.Exists(name));

            ValueTask<UnixStream> accept = listener.AcceptAsync();
            using UnixStream client = await UnixStream.ConnectAsync("\0" + name[1..]);
            using UnixStream server = await accept;

            UnixCredentials peer = server.PeerCredentials;
            Assert.Equal(Environment.ProcessId, peer.ProcessId);
            Assert.Equal(Environment.ProcessId, client.PeerCredentials.ProcessId);
            Assert.Equal(peer, client.PeerCredentials);

            await server.WriteAllAsync("abstract"u8.ToArray());
            Assert.Equal("abstract"u8.ToArray(), await TcpPair.ReadExactlyAsync(client, 8));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Split_HalvesOnTwoTasks_AndOwnedHalvesReunite(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string name = OperatingSystem.IsLinux() ? AbstractName() : TempPath();
            using var listener = UnixListener.Bind(name);
            ValueTask<UnixStream> accept = listener.AcceptAsync();
            using UnixStream client = await UnixStream.ConnectAsync(name);
            using UnixStream server = await accept;

            (ReadHalf reader, WriteHalf writer) = server.Split();
            JoinHandle<int> echo = SpindleTask.Spawn(async () =>
            {
                byte[] buffer = new byte[4];
                int n = await reader.ReadAsync(buffer);
                await writer.WriteAllAsync(buffer.AsMemory(0, n));
                return n;
            });

            (OwnedReadHalf ownedReader, OwnedWriteHalf ownedWriter) = client.IntoSplit();
            JoinHandle<byte[]> read = SpindleTask.Spawn(async () =>
            {
                byte[] buffer = new byte[1];
                int n = 0;
                while (n == 0)
                {
                    n = await ownedReader.ReadAsync(buffer);
                }

                return buffer;
            });
            await ownedWriter.WriteAllAsync("u"u8.ToArray());
            Assert.Equal(1, await echo);
            Assert.Equal("u"u8.ToArray(), await read);

            Assert.Throws<ArgumentException>(() => TcpStream.Reunite(ownedReader, ownedWriter));
            Assert.Same(client, UnixStream.Reunite(ownedReader, ownedWriter));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ConnectAsync_NobodyListening_ThrowsNamingThePath(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string path = TempPath();
            SocketException error = await Assert.ThrowsAsync<SocketException>(async () => await UnixStream.ConnectAsync(path));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);

            await Assert.ThrowsAsync<ArgumentNullException>(async () => await UnixStream.ConnectAsync(null!));
            await Assert.ThrowsAsync<ArgumentException>(async () => await UnixStream.ConnectAsync(""));
            Assert.Throws<ArgumentNullException>(() => UnixListener.Bind(null!));
            Assert.Throws<ArgumentNullException>(() => UnixStream.FromSocket(null!));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ConnectAsync_ListenerQueueFull_ThrowsWouldBlock_NeverAnUnconnectedStream(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string name = AbstractName();
            using var listener = UnixListener.Bind(name, backlog: 1);
            var queued = new List<UnixStream>();
            SocketException? full = null;
            // Nobody accepts: the queue fills after a connection or two (the kernel allows backlog + 1).
            for (int i = 0; i < 16 && full is null; i++)
            {
                try
                {
                    UnixStream stream = await UnixStream.ConnectAsync(name);
                    // Every stream handed out is connected: it can write to the listener's queue.
                    Assert.NotNull(stream.RemoteEndPoint);
                    queued.Add(stream);
                }
                catch (SocketException error)
                {
                    full = error;
                }
            }

            Assert.NotNull(full);
            Assert.Equal(SocketError.WouldBlock, full.SocketErrorCode);
            Assert.Contains("accept queue is full", full.Message, StringComparison.Ordinal);
            Assert.InRange(queued.Count, 1, 3);
            // Accepting one makes room again.
            using UnixStream accepted = await listener.AcceptAsync();
            using UnixStream late = await UnixStream.ConnectAsync(name);
            queued.ForEach(s => s.Dispose());
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void AcceptAsync_ListenerDisposed_ThrowsObjectDisposed(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            string name = OperatingSystem.IsLinux() ? AbstractName() : TempPath();
            var listener = UnixListener.Bind(name);
            ValueTask<UnixStream> accept = listener.AcceptAsync();
            listener.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await accept);
            Assert.Throws<ObjectDisposedException>(() => { _ = listener.AcceptAsync(); });
        });
    }
}
