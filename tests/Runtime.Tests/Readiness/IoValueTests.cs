using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Spindle.IO;
using SpindleTests.Support;

namespace SpindleTests.Readiness;

/// <summary>The small members of the readiness API: event predicates, guards, registration identity.</summary>
public sealed class IoValueTests
{
    [Fact]
    public void ReadyEvent_Predicates_FollowTheBits()
    {
        var writeClosed = new ReadyEvent(Ready.WriteClosed, 1);
        Assert.True(writeClosed.IsWritable);
        Assert.True(writeClosed.IsWriteClosed);
        Assert.False(writeClosed.IsReadable);

        var error = new ReadyEvent(Ready.Error, 1);
        Assert.True(error.IsError);
        Assert.False(error.IsPriority);
        Assert.False(error.IsReadable);

        var priority = new ReadyEvent(Ready.Priority | Ready.Readable, 1);
        Assert.True(priority.IsPriority);
        Assert.True(priority.IsReadable);
        Assert.False(priority.IsReadClosed);
        Assert.False(new ReadyEvent(Ready.None, 0).IsWritable);
    }

    [Fact]
    public void ReadyEvent_EqualityOperatorsAndHash()
    {
        var a = new ReadyEvent(Ready.Writable, 3);
        var b = new ReadyEvent(Ready.Writable, 3);
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a != new ReadyEvent(Ready.Readable, 3));
        Assert.False(a.Equals((object)"not an event"));
    }

    [Fact]
    public void Registration_KnowsItsRuntimeBackendAndDescription()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread, configure: b => b.IoBackend(IoBackend.Portable));
        using var pair = SocketPair.Tcp();
        using var described = IoRegistration.Register(pair.Local, runtime.Handle, "test resource");
        Assert.Equal(runtime.Handle, described.Runtime);
        Assert.Equal(IoBackend.Portable, described.Backend);
        Assert.Equal("test resource", described.ToString());

        using var byAddress = IoRegistration.Register(pair.Peer, runtime.Handle);
        Assert.Contains(pair.Peer.LocalEndPoint!.ToString()!, byAddress.ToString(), StringComparison.Ordinal);
        Assert.False(pair.Peer.Blocking);
    }

    [Fact]
    public void Operation_ReportsItsDirection()
    {
        using var pair = SocketPair.Tcp();
        Assert.Equal(Interest.Writable, new Writer(pair.Local).Direction);
    }

    private sealed class Writer(System.Net.Sockets.Socket socket) : IoOperation<int>(Interest.Writable)
    {
        protected override bool TryExecute(out int result)
        {
            result = socket.Send(new byte[1]);
            return true;
        }
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void AsyncFdGuard_RetainKeepsReadiness_ClearDropsIt_AndGuardsCompareByEvent()
    {
        using Runtime runtime = Rt.Build(RuntimeFlavor.CurrentThread);
        using var pair = SocketPair.Tcp();
        pair.Local.Blocking = false;
        Rt.Run(runtime, async () =>
        {
            using var fd = new AsyncFd(new SafeFileHandle(pair.Local.Handle, ownsHandle: false), ownsHandle: false);
            Assert.Equal(pair.Local.Handle, fd.Handle.DangerousGetHandle());
            AsyncFdReadyGuard first = await fd.ReadyAsync(Interest.Readable | Interest.Writable);
            Assert.Equal(first.Event.Ready, first.Ready);
            Assert.True(first.Ready.HasFlag(Ready.Writable));

            first.RetainReady();
            AsyncFdReadyGuard again = await fd.WritableAsync();
            Assert.True(again.Event.IsWritable);

            AsyncFdReadyGuard readable = await fd.ReadableAsync();
            Assert.True(readable == await fd.ReadableAsync());
            readable.ClearReady();
            ValueTask<AsyncFdReadyGuard> pending = fd.ReadableAsync();
            Assert.False(pending.IsCompleted);
            pair.Peer.Send(new byte[] { 1 });
            Assert.True((await pending).Event.IsReadable);
            Assert.False(readable.Equals((object)"no"));
            Assert.True(readable != default);
        });
    }
}
