using SpindleTests.Support;
using Optimized = DumpSamples.Optimized.Chains;
using Unoptimized = DumpSamples.Unoptimized.Chains;

namespace SpindleTests.Diagnostics;

/// <summary>
/// The same async chains (tests/DumpSamples.Shared) compiled optimized, as in Release (struct state
/// machines), and unoptimized, as in Debug (class state machines): the dump shows the same frames
/// and await lines for both, on both schedulers, whatever configuration the tests were built in.
/// </summary>
public sealed class TaskDumpBuildTests
{
    public static TheoryData<bool, RuntimeFlavor> Builds => new()
    {
        { true, RuntimeFlavor.CurrentThread },
        { true, RuntimeFlavor.MultiThread },
        { false, RuntimeFlavor.CurrentThread },
        { false, RuntimeFlavor.MultiThread },
    };

    [Fact]
    public void Samples_AreCompiledOptimizedAndUnoptimized()
    {
        // Guards the premise of the other tests: one copy has struct state machines, the other classes.
        Assert.True(Optimized.IsOptimized);
        Assert.True(Optimized.StateMachinesAreStructs);
        Assert.False(Unoptimized.IsOptimized);
        Assert.False(Unoptimized.StateMachinesAreStructs);
    }

    [Theory]
    [MemberData(nameof(Builds))]
    public void DumpAsync_NestedChain_SameFramesAndLinesInBothBuilds(bool optimized, RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle task = RuntimeHandle.Current.Spawn(optimized ? Optimized.Nested(notify) : Unoptimized.Nested(notify));
            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id);
            string context = entry.ToString();

            Assert.Null(entry.Note);
            Assert.True(entry.Frames.Count == 5, context);
            AssertFrame(entry.Frames[0], "Chains.Nested.lambda", "d-root", optimized, context);
            AssertFrame(entry.Frames[1], "Chains.OuterAsync", "d-outer", optimized, context);
            AssertFrame(entry.Frames[2], "Chains.MiddleAsync", "d-middle", optimized, context);
            AssertFrame(entry.Frames[3], "Chains.Holder<int>.InnerAsync<string>", "d-inner", optimized, context);
            // A local function of a generic method inherits the method's type parameters: the
            // compiler makes them the local function's own, and the dump shows them there.
            AssertFrame(entry.Frames[4], "Chains.Holder<int>.InnerAsync.WaitHereAsync<string>", "d-local", optimized, context);
            Assert.Equal("notify", entry.WaitingOn?.Kind);

            notify.NotifyOne();
            await Rt.Within(task.AsTask());
        });
    }

    [Theory]
    [MemberData(nameof(Builds))]
    public void DumpAsync_AsyncIterator_SameFramesAndLinesInBothBuilds(bool optimized, RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle<int> task = RuntimeHandle.Current.Spawn(() => optimized ? Optimized.SumAsync(notify) : Unoptimized.SumAsync(notify));
            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id);
            string context = entry.ToString();

            Assert.True(entry.Frames.Count == 2, context);
            AssertFrame(entry.Frames[0], "Chains.SumAsync", "d-foreach", optimized, context);
            AssertFrame(entry.Frames[1], "Chains.TicksAsync", "d-iterator", optimized, context);
            Assert.Equal("notify", entry.WaitingOn?.Kind);

            notify.NotifyOne();
            Assert.Equal(3, await Rt.Within(task.AsTask()));
        });
    }

    private static async Task<TaskDumpEntry> DumpOfParkedAsync(Runtime runtime, long id)
    {
        await Waiting.UntilParkedOnAsync(runtime, id, "notify");
        TaskDump dump = await runtime.Handle.DumpAsync();
        return dump.Tasks.Single(t => t.Task.Id == id);
    }

    private static void AssertFrame(TaskDumpFrame frame, string method, string marker, bool optimized, string context)
    {
        string source = optimized ? Optimized.SourcePath : Unoptimized.SourcePath;
        int line = SourceFiles.LineOfMarker(marker, source);
        Assert.True(method == frame.Method, $"expected {method}, got {frame.Method}\n{context}");
        Assert.True(frame.FilePath == source, $"expected {source}, got {frame.FilePath}\n{context}");
        Assert.True(frame.LineNumber == line, $"expected line {line} for {method}, got {frame.LineNumber}\n{context}");
    }
}
