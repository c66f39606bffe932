using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;

namespace SpindleTests;

/// <summary>
/// DESIGN.md §1: no public Spindle type may clash with a type of the System namespaces that users
/// import beside Spindle's. This file imports them all and names every public type unqualified (a
/// clash would not compile); the reflection test catches types added later.
/// </summary>
public sealed class NameClashTests
{
    private static readonly string[] s_systemNamespaces =
        ["System", "System.IO", "System.Net", "System.Net.Sockets", "System.Threading", "System.Threading.Tasks"];

    [Fact]
    public void EveryPublicType_CompilesUnqualified_BesideSystemNamespaces()
    {
        Type[] used =
        [
            typeof(Runtime), typeof(RuntimeBuilder), typeof(RuntimeFlavor), typeof(RuntimeHandle),
            typeof(JoinHandle), typeof(JoinHandle<int>), typeof(JoinSet<int>), typeof(JoinResult<int>),
            typeof(LocalSet), typeof(SpindleTask), typeof(TaskAbortedException), typeof(TaskMeta),
            typeof(YieldAwaitable), typeof(SignalListener), typeof(Signals),
            typeof(Time), typeof(Instant), typeof(Sleep), typeof(Interval), typeof(MissedTickBehavior),
            typeof(RuntimeMetrics), typeof(TaskInfo), typeof(TaskState), typeof(LeafInfo), typeof(UnobservedTaskExceptionInfo), typeof(TaskDump), typeof(TaskDumpEntry), typeof(TaskDumpFrame), typeof(TaskDumpBranch),
            typeof(AsyncSemaphore), typeof(SemaphorePermit), typeof(SemaphoreClosedException),
            typeof(AsyncMutex<int>), typeof(AsyncMutexGuard<int>),
            typeof(AsyncRwLock<int>), typeof(AsyncRwLockReadGuard<int>), typeof(AsyncRwLockWriteGuard<int>),
            typeof(Broadcast), typeof(BroadcastSender<int>), typeof(BroadcastReceiver<int>), typeof(BroadcastResult<int>), typeof(BroadcastStatus),
            typeof(Notify), typeof(AsyncBarrier), typeof(BarrierWaitResult), typeof(OnceCell<int>),
            typeof(Mpsc), typeof(MpscSender<int>), typeof(UnboundedSender<int>), typeof(WeakMpscSender<int>), typeof(WeakUnboundedSender<int>),
            typeof(MpscReceiver<int>), typeof(MpscPermit<int>), typeof(RecvResult<int>), typeof(TrySendStatus), typeof(TryRecvStatus),
            typeof(Oneshot), typeof(OneshotSender<int>), typeof(OneshotReceiver<int>),
            typeof(Watch), typeof(WatchSender<int>), typeof(WatchReceiver<int>), typeof(WatchRef<int>), typeof(WatchUpdater<int>), typeof(WatchModifier<int>),
            typeof(Interest), typeof(Ready), typeof(ReadyEvent), typeof(IoBackend), typeof(IoRegistration), typeof(IoOperation<int>),
            typeof(IoAttempt<int, int>), typeof(AsyncFd), typeof(AsyncFdReadyGuard),
        ];
        // Keep the list complete: it must name every exported type.
        Type[] exported = typeof(Runtime).Assembly.GetExportedTypes().Where(t => !t.IsNested).ToArray();
        Assert.Equal(exported.Select(t => t.FullName).Order(), used.Select(t => t.IsGenericType ? t.GetGenericTypeDefinition().FullName : t.FullName).Order());
        _ = (IPAddress.Loopback, SocketFlags.None, PosixSignal.SIGINT, FileMode.Open);
    }

    [Fact]
    public void NoPublicType_SharesANameWithATypeInTheImportedSystemNamespaces()
    {
        var systemNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (Assembly assembly in new[] { typeof(object), typeof(Uri), typeof(Socket), typeof(IPAddress), typeof(FileStream), typeof(Task), typeof(System.Threading.Lock), typeof(System.Threading.Tasks.Parallel) }.Select(t => t.Assembly).Distinct())
        {
            foreach (Type type in assembly.GetExportedTypes())
            {
                if (type.Namespace is { } ns && s_systemNamespaces.Contains(ns))
                {
                    systemNames.Add(type.Name);
                }
            }
        }

        string[] clashes = typeof(Runtime).Assembly.GetExportedTypes()
            .Where(t => !t.IsNested && systemNames.Contains(t.Name))
            .Select(t => t.FullName!)
            .ToArray();
        Assert.Empty(clashes);
    }
}
