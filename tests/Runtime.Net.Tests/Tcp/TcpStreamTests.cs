using System.IO.Pipelines;
using System.Security.Cryptography;
using Spindle.Sync;
using SpindleNetTests.Support;

namespace SpindleNetTests.Tcp;

public sealed class TcpStreamTests
{
    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadAsync_ReturnsWhatThePeerWrote_BothWays(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            JoinHandle echo = SpindleTask.Spawn(async () =>
            {
                byte[] buffer = new byte[64];
                while (true)
                {
                    int n = await pair.Server.ReadAsync(buffer);
                    if (n == 0)
                    {
                        pair.Server.ShutdownWrite();
                        return;
                    }

                    await pair.Server.WriteAllAsync(buffer.AsMemory(0, n));
                }
            });

            for (int i = 0; i < 10; i++)
            {
                byte[] message = System.Text.Encoding.ASCII.GetBytes($"hello {i}");
                await pair.Client.WriteAllAsync(message);
                Assert.Equal(message, await TcpPair.ReadExactlyAsync(pair.Client, message.Length));
            }

            pair.Client.ShutdownWrite();
            await echo;
            Assert.Equal(0, await pair.Client.ReadAsync(new byte[8]));
            Assert.Equal(pair.Client.LocalEndPoint, pair.Server.RemoteEndPoint);
            Assert.Equal(pair.Listener.LocalEndPoint, pair.Client.RemoteEndPoint);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Echo_OverIPv6Loopback_Works(RuntimeFlavor flavor, IoBackend backend)
    {
        if (!Socket.OSSupportsIPv6)
        {
            return;
        }

        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync(ipv6: true);
            await pair.Client.WriteAllAsync("v6"u8.ToArray());
            Assert.Equal("v6"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Server, 2));
            Assert.Equal(AddressFamily.InterNetworkV6, pair.Server.LocalEndPoint.AddressFamily);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ShutdownWrite_PeerReadsEndOfStream_AndCanStillWriteBack(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            await pair.Client.WriteAllAsync("last"u8.ToArray());
            pair.Client.ShutdownWrite();

            Assert.Equal("last"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Server, 4));
            Assert.Equal(0, await pair.Server.ReadAsync(new byte[16]));
            Assert.Equal(0, await pair.Server.ReadAsync(new byte[16]));

            await pair.Server.WriteAllAsync("reply"u8.ToArray());
            Assert.Equal("reply"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Client, 5));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadAsync_PeerResetsConnection_ThrowsConnectionReset(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            JoinHandle<int> reader = SpindleTask.Spawn(async () => await pair.Client.ReadAsync(new byte[16]));
            pair.Server.Linger = new LingerOption(true, 0);
            pair.Server.Dispose();

            SocketException error = await Assert.ThrowsAsync<SocketException>(async () => await reader);
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
            Assert.Contains("read from", error.Message, StringComparison.Ordinal);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ConnectAsync_PortJustClosed_ThrowsConnectionRefusedNamingTheAddress(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            IPEndPoint endPoint;
            using (var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                endPoint = listener.LocalEndPoint;
            }

            SocketException error = await Assert.ThrowsAsync<SocketException>(async () => await TcpStream.ConnectAsync(endPoint));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
            Assert.Contains(endPoint.ToString(), error.Message, StringComparison.Ordinal);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ConnectAsync_Cancelled_ThrowsOperationCanceled(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await TcpStream.ConnectAsync(listener.LocalEndPoint, cts.Token));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadyAsync_SeveralWaiters_AllWakeWhenThePeerWrites(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();

            // A fresh registration starts ready; a would-block TryRead clears it so the waiters really wait.
            Assert.False(pair.Server.TryRead(new byte[1], out _));
            var started = new AsyncBarrier(4);
            var waiters = new JoinHandle<ReadyEvent>[3];
            for (int i = 0; i < waiters.Length; i++)
            {
                waiters[i] = SpindleTask.Spawn(async () =>
                {
                    await started.WaitAsync();
                    return await pair.Server.ReadyAsync(Interest.Readable);
                });
            }

            await started.WaitAsync();
            await pair.Client.WriteAllAsync("x"u8.ToArray());
            foreach (JoinHandle<ReadyEvent> waiter in waiters)
            {
                Assert.True((await waiter).IsReadable);
            }

            Assert.True(pair.Server.TryRead(new byte[4], out int n));
            Assert.Equal(1, n);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void TryWriteAndTryRead_WithoutWaiting_MoveData(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            Assert.True(pair.Client.TryWrite("abc"u8, out int written));
            Assert.Equal(3, written);

            byte[] buffer = new byte[8];
            int read = 0;
            while (read < 3)
            {
                await pair.Server.ReadableAsync();
                if (pair.Server.TryRead(buffer.AsSpan(read), out int n))
                {
                    read += n;
                }
            }

            Assert.Equal("abc"u8.ToArray(), buffer[..3]);

            await pair.Client.WriteAllAsync("defgh"u8.ToArray());
            var segments = new List<ArraySegment<byte>> { new(new byte[2]), new(new byte[3]) };
            int total = 0;
            while (total < 5)
            {
                await pair.Server.ReadableAsync();
                if (pair.Server.TryReadVectored(segments, out int n))
                {
                    total += n;
                }
            }

            Assert.Equal("de"u8.ToArray(), segments[0].ToArray());
            Assert.Equal("fgh"u8.ToArray(), segments[1].ToArray());
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void PeekAsync_LeavesTheDataForTheNextRead(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            await pair.Client.WriteAllAsync("peek"u8.ToArray());
            byte[] peeked = new byte[4];
            int n = 0;
            while (n < 4)
            {
                n = await pair.Server.PeekAsync(peeked);
            }

            Assert.Equal("peek"u8.ToArray(), peeked);
            Assert.Equal("peek"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Server, 4));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadAsync_TaskAborted_ThrowsAndTheStreamStaysUsable(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            var entered = new AsyncBarrier(2);
            JoinHandle<int> reader = SpindleTask.Spawn(async () =>
            {
                await entered.WaitAsync();
                return await pair.Server.ReadAsync(new byte[16]);
            });

            await entered.WaitAsync();
            await WaitUntilReadingAsync(pair.Server);
            reader.Abort();
            await Assert.ThrowsAsync<TaskAbortedException>(async () => await reader);

            await pair.Client.WriteAllAsync("after"u8.ToArray());
            Assert.Equal("after"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Server, 5));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadAsync_Cancelled_ThrowsAndLosesNoData(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            using var cts = new CancellationTokenSource();
            ValueTask<int> read = pair.Server.ReadAsync(new byte[16], cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);

            await pair.Client.WriteAllAsync("kept"u8.ToArray());
            Assert.Equal("kept"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Server, 4));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ReadAsync_SecondConcurrentRead_ThrowsInvalidOperation(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            ValueTask<int> first = pair.Server.ReadAsync(new byte[16]);
            InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => { _ = pair.Server.ReadAsync(new byte[16]); });
            Assert.Contains("already in flight", error.Message, StringComparison.Ordinal);

            await pair.Client.WriteAllAsync("1"u8.ToArray());
            Assert.Equal(1, await first);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Transfer_100MB_ArrivesIntact(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            const int Total = 100 * 1024 * 1024;
            using TcpPair pair = await TcpPair.CreateAsync();

            JoinHandle<byte[]> writer = SpindleTask.Spawn(async () =>
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] chunk = new byte[256 * 1024];
                var random = new Random(42);
                for (int sent = 0; sent < Total; sent += chunk.Length)
                {
                    random.NextBytes(chunk);
                    hash.AppendData(chunk);
                    await pair.Client.WriteAllAsync(chunk);
                }

                pair.Client.ShutdownWrite();
                return hash.GetHashAndReset();
            });

            using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            while (true)
            {
                int n = await pair.Server.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                received.AppendData(buffer, 0, n);
                total += n;
            }

            Assert.Equal(Total, total);
            Assert.Equal(await writer, received.GetHashAndReset());
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Split_HalvesUsedFromTwoTasksAtOnce_MoveDataBothWays(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            const int Bytes = 4 * 1024 * 1024;
            using TcpPair pair = await TcpPair.CreateAsync();
            (ReadHalf reader, WriteHalf writer) = pair.Server.Split();

            // The server echoes through its two halves on two tasks; the client does the same.
            JoinHandle<long> serverRead = SpindleTask.Spawn(() => DrainAsync(reader));
            JoinHandle serverWrite = SpindleTask.Spawn(async () =>
            {
                await writer.WriteAllAsync(new byte[Bytes]);
                writer.ShutdownWrite();
            });
            (ReadHalf clientReader, WriteHalf clientWriter) = pair.Client.Split();
            JoinHandle<long> clientRead = SpindleTask.Spawn(() => DrainAsync(clientReader));
            await clientWriter.WriteAllAsync(new byte[Bytes]);
            clientWriter.ShutdownWrite();

            await serverWrite;
            Assert.Equal(Bytes, await serverRead);
            Assert.Equal(Bytes, await clientRead);
            Assert.Equal(reader, pair.Server.Split().Reader);
        });

        static async Task<long> DrainAsync(ReadHalf reader)
        {
            byte[] buffer = new byte[32 * 1024];
            long total = 0;
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                total += n;
            }

            return total;
        }
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void IntoSplit_OwnedHalves_WorkAndReunite(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            (OwnedReadHalf reader, OwnedWriteHalf writer) = pair.Client.IntoSplit();
            Assert.Throws<InvalidOperationException>(() => pair.Client.IntoSplit());

            await writer.WriteAllAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Server, 4));
            await pair.Server.WriteAllAsync("pong"u8.ToArray());
            byte[] buffer = new byte[4];
            int read = 0;
            while (read < 4)
            {
                read += await reader.ReadAsync(buffer.AsMemory(read));
            }

            Assert.Equal("pong"u8.ToArray(), buffer);

            TcpStream whole = TcpStream.Reunite(reader, writer);
            Assert.Same(pair.Client, whole);
            Assert.Throws<ObjectDisposedException>(() => { _ = reader.ReadAsync(buffer); });

            (OwnedReadHalf reader2, OwnedWriteHalf writer2) = whole.IntoSplit();
            writer2.Dispose();
            Assert.Equal(0, await pair.Server.ReadAsync(buffer));
            reader2.Dispose();
            Assert.Throws<ObjectDisposedException>(() => { _ = whole.ReadAsync(buffer); });
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void AsStream_RoundTripsAndWrapsErrors(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            using Stream client = pair.Client.AsStream();
            using Stream server = pair.Server.AsStream();
            Assert.True(client.CanRead && client.CanWrite && !client.CanSeek);

            await client.WriteAsync("stream view"u8.ToArray());
            await client.FlushAsync();
            byte[] buffer = new byte[11];
            await server.ReadExactlyAsync(buffer);
            Assert.Equal("stream view"u8.ToArray(), buffer);

            NotSupportedException sync = Assert.Throws<NotSupportedException>(() => server.Read(buffer, 0, 1));
            Assert.Contains("ReadAsync", sync.Message, StringComparison.Ordinal);

            pair.Server.Linger = new LingerOption(true, 0);
            pair.Server.Dispose();
            IOException error = await Assert.ThrowsAsync<IOException>(async () => { int n = await client.ReadAsync(buffer); Assert.Fail($"read {n} bytes from a reset connection"); });
            Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void ToDuplexPipe_RoundTrips(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            IDuplexPipe client = pair.Client.ToDuplexPipe();
            IDuplexPipe server = pair.Server.ToDuplexPipe();

            await client.Output.WriteAsync("through pipes"u8.ToArray());
            pair.Client.ShutdownWrite();

            var received = new List<byte>();
            while (true)
            {
                ReadResult result = await server.Input.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    received.AddRange(segment.ToArray());
                }

                server.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            Assert.Equal("through pipes"u8.ToArray(), received.ToArray());
            await server.Output.WriteAsync("back"u8.ToArray());
            await server.Output.CompleteAsync();
            await server.Input.CompleteAsync();
            Assert.Equal("back"u8.ToArray(), await TcpPair.ReadExactlyAsync(pair.Client, 4));
            await client.Input.CompleteAsync();
            await client.Output.CompleteAsync();
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void Options_RoundTrip(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using TcpPair pair = await TcpPair.CreateAsync();
            pair.Client.NoDelay = true;
            Assert.True(pair.Client.NoDelay);
            pair.Client.Ttl = 42;
            Assert.Equal(42, pair.Client.Ttl);
            pair.Client.Linger = new LingerOption(true, 3);
            Assert.Equal(3, pair.Client.Linger.LingerTime);
            Assert.Contains("TcpStream", pair.Client.ToString(), StringComparison.Ordinal);
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void FromSocketAndIntoSocket_HandTheConnectionOver(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            using var listener = AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            ValueTask<TcpStream> accept = listener.AcceptAsync();
            await Rt.Within(raw.ConnectAsync(listener.LocalEndPoint));
            using TcpStream server = await accept;

            using TcpStream adopted = TcpStream.FromSocket(raw);
            await adopted.WriteAllAsync("adopted"u8.ToArray());
            Assert.Equal("adopted"u8.ToArray(), await TcpPair.ReadExactlyAsync(server, 7));

            using Socket back = adopted.IntoSocket();
            Assert.True(back.Blocking);
            Assert.Throws<ObjectDisposedException>(() => { _ = adopted.ReadAsync(new byte[1]); });
            back.Send("raw"u8);
            Assert.Equal("raw"u8.ToArray(), await TcpPair.ReadExactlyAsync(server, 3));

            using var unconnected = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Assert.Throws<ArgumentException>(() => TcpStream.FromSocket(unconnected));
        });
    }

    [Theory]
    [MemberData(nameof(NetRt.Matrix), MemberType = typeof(NetRt))]
    public void BadArguments_ThrowClearly(RuntimeFlavor flavor, IoBackend backend)
    {
        NetRt.Run(flavor, backend, async () =>
        {
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await TcpStream.ConnectAsync((IPEndPoint)null!));
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await TcpStream.ConnectAsync(null!, 80));
            Assert.Throws<ArgumentNullException>(() => TcpStream.FromSocket(null!));
            Assert.Throws<ArgumentNullException>(() => AsyncTcpListener.Bind(null!));
            Assert.Throws<ArgumentOutOfRangeException>(() => AsyncTcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 0));

            TcpPair pair = await TcpPair.CreateAsync();
            pair.Dispose();
            pair.Dispose();
            ObjectDisposedException error = Assert.Throws<ObjectDisposedException>(() => { _ = pair.Client.ReadAsync(new byte[1]); });
            Assert.Contains("TcpStream", error.Message, StringComparison.Ordinal);
            Assert.Throws<ObjectDisposedException>(() => { _ = pair.Client.WriteAllAsync(new byte[1]); });
            Assert.Throws<ObjectDisposedException>(() => pair.Client.TryRead(new byte[1], out _));
            Assert.Throws<ObjectDisposedException>(() => pair.Client.ShutdownWrite());
            Assert.Throws<ObjectDisposedException>(() => pair.Client.AsStream());
            Assert.Throws<ObjectDisposedException>(() => pair.Client.IntoSocket());
            Assert.Throws<ObjectDisposedException>(() => { _ = pair.Listener.AcceptAsync(); });
            Assert.Throws<ArgumentNullException>(() => pair.Client.TryReadVectored(null!, out _));
            Assert.Throws<InvalidOperationException>(() => { _ = default(ReadHalf).ReadAsync(new byte[1]); });
        });
    }

    [Theory]
    [InlineData(RuntimeFlavor.CurrentThread, IoBackend.Epoll)] // allocation is measured on the BlockOn thread: current-thread only
    public void ReadAsyncAndWriteAllAsync_SteadyState_AllocateNothing(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = NetRt.Build(flavor, backend);
        TcpPair pair = Rt.Run(runtime, () => TcpPair.CreateAsync());
        try
        {
            byte[] message = new byte[64];
            byte[] buffer = new byte[64];
            long bytes = SpindleTests.Support.Allocation.BytesPerStep(runtime, async steps =>
            {
                for (int i = 0; i < steps; i++)
                {
                    // The read is started before the write, so it parks and completes through the driver.
                    ValueTask<int> read = pair.Server.ReadAsync(buffer);
                    await pair.Client.WriteAllAsync(message);
                    int n = await read;
                    while (n < message.Length)
                    {
                        n += await pair.Server.ReadAsync(buffer.AsMemory(n));
                    }
                }
            });
            Assert.Equal(0, bytes);
        }
        finally
        {
            pair.Dispose();
        }
    }

    [Theory]
    [InlineData(RuntimeFlavor.CurrentThread, IoBackend.Epoll)] // allocation is measured on the BlockOn thread: current-thread only
    public void WriteAllAsync_WaitingForSpace_SteadyStateAllocatesNothing(RuntimeFlavor flavor, IoBackend backend)
    {
        using Runtime runtime = NetRt.Build(flavor, backend);
        const int Chunk = 64 * 1024;
        (AsyncTcpListener Listener, TcpStream Client, TcpStream Server) streams = Rt.Run(runtime, async () =>
        {
            // Small kernel buffers so every WriteAllAsync has to wait for the reader several times.
            using TcpSocket listenSocket = TcpSocket.CreateV4();
            listenSocket.ReceiveBufferSize = 4096;
            listenSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            AsyncTcpListener listener = listenSocket.Listen(4);
            using TcpSocket connectSocket = TcpSocket.CreateV4();
            connectSocket.SendBufferSize = 4096;
            ValueTask<TcpStream> accept = listener.AcceptAsync();
            TcpStream client = await connectSocket.ConnectAsync(listener.LocalEndPoint);
            return (listener, client, await accept);
        });
        try
        {
            byte[] chunk = new byte[Chunk];
            byte[] buffer = new byte[Chunk];
            long bytes = SpindleTests.Support.Allocation.BytesPerStep(runtime, async steps =>
            {
                long total = (long)steps * Chunk;
                JoinHandle reader = SpindleTask.Spawn(async () =>
                {
                    for (long read = 0; read < total;)
                    {
                        read += await streams.Server.ReadAsync(buffer);
                    }
                });
                for (int i = 0; i < steps; i++)
                {
                    await streams.Client.WriteAllAsync(chunk);
                }

                await reader;
            });
            Assert.Equal(0, bytes);
        }
        finally
        {
            streams.Client.Dispose();
            streams.Server.Dispose();
            streams.Listener.Dispose();
        }
    }

    /// <summary>Waits (bounded by the test's run bound, without sleeping) until a read is parked on <paramref name="stream"/>.</summary>
    internal static async Task WaitUntilReadingAsync(StreamSocket stream)
    {
        while (!stream.IsReadInFlight)
        {
            await SpindleTask.YieldAsync();
        }
    }
}
