using System.Runtime.CompilerServices;
using System.Text.Json;
using SpindleTests.Support;

namespace SpindleTests.Diagnostics;

/// <summary>
/// Task dumps on both schedulers: exact frames (method names) and exact await lines, found by the
/// <c>// @marker</c> comment at the end of each awaited line, so edits above them do not break the tests.
/// </summary>
public sealed class TaskDumpTests
{
    private static int LineOf(string marker, [CallerFilePath] string file = "") => SourceFiles.LineOfMarker(marker, file);

    private static void AssertFrame(TaskDumpFrame frame, string method, string marker)
    {
        Assert.Equal(method, frame.Method);
        Assert.Equal("TaskDumpTests.cs", Path.GetFileName(frame.FilePath));
        Assert.Equal(LineOf(marker), frame.LineNumber);
    }

    private static async Task<TaskDumpEntry> DumpOfParkedAsync(Runtime runtime, long id, string? kind = null)
    {
        await Waiting.UntilParkedOnAsync(runtime, id, kind);
        TaskDump dump = await runtime.Handle.DumpAsync();
        return dump.Tasks.Single(t => t.Task.Id == id);
    }

    private static async Task OuterAsync(Notify notify)
    {
        await MiddleAsync(notify); // @outer
    }

    private static async Task<int> MiddleAsync(Notify notify)
    {
        await Task.CompletedTask;
        await InnerAsync(notify).ConfigureAwait(false); // @middle
        return 1;
    }

    private static async ValueTask InnerAsync(Notify notify)
    {
        await notify.NotifiedAsync(); // @inner
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_NestedTaskAndValueTaskMethods_ShowsEachFrameWithItsAwaitLine(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle task = RuntimeHandle.Current.Spawn(async () =>
            {
                await OuterAsync(notify); // @root
            }, name: "nested");

            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id);

            Assert.Null(entry.Note);
            Assert.True(entry.Frames.Count == 4, entry.ToString());
            AssertFrame(entry.Frames[0], "TaskDumpTests.DumpAsync_NestedTaskAndValueTaskMethods_ShowsEachFrameWithItsAwaitLine.lambda", "root");
            AssertFrame(entry.Frames[1], "TaskDumpTests.OuterAsync", "outer");
            AssertFrame(entry.Frames[2], "TaskDumpTests.MiddleAsync", "middle");
            AssertFrame(entry.Frames[3], "TaskDumpTests.InnerAsync", "inner");
            Assert.Equal("notify", entry.WaitingOn?.Kind);
            Assert.Equal("nested", entry.Task.Name);

            notify.NotifyOne();
            await task;
        });
    }

    private sealed class Cache<TKey>
    {
        public static async Task<TValue> GetAsync<TValue>(MpscReceiver<TValue> receiver)
        {
            RecvResult<TValue> result = await receiver.RecvAsync(); // @generic
            return result.Value!;
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_GenericClassAndMethod_ShowsGenericArgumentsAndMpscLeaf(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var (sender, receiver) = Mpsc.Unbounded<string>();
            JoinHandle<string> task = RuntimeHandle.Current.Spawn(() => Cache<int>.GetAsync(receiver));

            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id);

            TaskDumpFrame frame = Assert.Single(entry.Frames);
            AssertFrame(frame, "TaskDumpTests.Cache<int>.GetAsync<string>", "generic");
            Assert.StartsWith("mpsc", entry.WaitingOn?.Kind, StringComparison.Ordinal);

            sender.Send("x");
            Assert.Equal("x", await task);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_LocalFunctionAndSleep_NamesTheLocalFunction(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor, paused: true);
        Rt.Run(runtime, async () =>
        {
            JoinHandle task = RuntimeHandle.Current.Spawn(NapAsync);

            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id, "sleep");

            TaskDumpFrame frame = Assert.Single(entry.Frames);
            AssertFrame(frame, "TaskDumpTests.DumpAsync_LocalFunctionAndSleep_NamesTheLocalFunction.NapAsync", "local");
            Assert.Equal("sleep", entry.WaitingOn?.Kind);
            task.Abort();

            static async Task NapAsync()
            {
                await Time.SleepAsync(TimeSpan.FromHours(1)); // @local
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_ForeignTaskCompletionSource_DescribesTheForeignTask(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle<int> task = RuntimeHandle.Current.Spawn(async () =>
            {
                return await gate.Task; // @foreign
            });
            await Waiting.UntilAsync(() => runtime.Handle.GetTasks().Any(t => t.Id == task.Id && t.State == TaskState.Idle && t.PollCount > 0));
            TaskDumpEntry entry = (await runtime.Handle.DumpAsync()).Tasks.Single(t => t.Task.Id == task.Id);

            Assert.Single(entry.Frames);
            AssertFrame(entry.Frames[0], "TaskDumpTests.DumpAsync_ForeignTaskCompletionSource_DescribesTheForeignTask.lambda", "foreign");
            Assert.Equal("foreign", entry.WaitingOn?.Kind);
            Assert.Equal("Task<int> WaitingForActivation", entry.WaitingOn?.Resource);

            gate.SetResult(7);
            Assert.Equal(7, await task);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_TaskFinishesDuringTheDump_NeverThrows(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            var tasks = new List<JoinHandle>();
            for (int i = 0; i < 50; i++)
            {
                tasks.Add(RuntimeHandle.Current.Spawn(() => OuterAsync(notify)));
            }

            await Waiting.UntilAsync(() => runtime.Handle.GetTasks().Count(t => t.WaitingOn?.Kind == "notify") == 50);
            notify.NotifyWaiters();
            // Whatever each task is doing now — parked, running, completed — the dump describes it.
            TaskDump dump = await runtime.Handle.DumpAsync();
            foreach (TaskDumpEntry entry in dump.Tasks)
            {
                Assert.DoesNotContain("walk failed", entry.Note ?? "", StringComparison.Ordinal);
            }

            foreach (JoinHandle task in tasks)
            {
                await task;
            }
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_TextAndJson_RenderTheSameTasks(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle task = RuntimeHandle.Current.Spawn(() => OuterAsync(notify), name: "json");
            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id);
            TaskDump dump = await runtime.Handle.DumpAsync();

            string text = dump.ToString();
            Assert.Contains($"task #{task.Id} \"json\" Idle", text, StringComparison.Ordinal);
            Assert.True(text.Contains($"    at TaskDumpTests.InnerAsync at TaskDumpTests.cs:{LineOf("inner")}", StringComparison.Ordinal), text);
            Assert.Contains($"    at TaskDumpTests.InnerAsync at TaskDumpTests.cs:{LineOf("inner")}", text, StringComparison.Ordinal);

            using JsonDocument json = JsonDocument.Parse(dump.ToJson());
            JsonElement mine = json.RootElement.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("task").GetProperty("id").GetInt64() == task.Id);
            Assert.Equal("Idle", mine.GetProperty("task").GetProperty("state").GetString());
            Assert.Equal("TaskDumpTests.InnerAsync", mine.GetProperty("frames")[2].GetProperty("method").GetString());
            Assert.Equal(LineOf("inner"), mine.GetProperty("frames")[2].GetProperty("lineNumber").GetInt32());

            notify.NotifyOne();
            await task;
        });
    }
}

/// <summary>Task dumps through pooled ValueTask boxes, async iterators, Task.WhenAll, and beside busy tasks.</summary>
public sealed class TaskDumpShapesTests
{
    private static int LineOf(string marker, [CallerFilePath] string file = "") => SourceFiles.LineOfMarker(marker, file);

    private static void AssertFrame(TaskDumpFrame frame, string method, string marker, string context)
    {
        Assert.True(method == frame.Method, $"expected {method}, got {frame.Method}\n{context}");
        Assert.Equal("TaskDumpTests.cs", Path.GetFileName(frame.FilePath));
        Assert.True(LineOf(marker) == frame.LineNumber, $"expected line {LineOf(marker)} for {method}\n{context}");
    }

    private static async Task<TaskDumpEntry> DumpOfParkedAsync(Runtime runtime, long id)
    {
        await Waiting.UntilParkedAsync(runtime, id);
        TaskDump dump = await runtime.Handle.DumpAsync();
        return dump.Tasks.Single(t => t.Task.Id == id);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> PooledAsync(Notify notify)
    {
        await notify.NotifiedAsync(); // @pooled
        return 2;
    }

    private static async Task<int> CallsPooledAsync(Notify notify)
    {
        return await PooledAsync(notify); // @callsPooled
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_PoolingValueTaskBuilder_WalksThroughThePooledBox(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle<int> task = RuntimeHandle.Current.Spawn(() => CallsPooledAsync(notify));

            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id);

            Assert.True(entry.Frames.Count == 2, entry.ToString());
            AssertFrame(entry.Frames[0], "TaskDumpShapesTests.CallsPooledAsync", "callsPooled", entry.ToString());
            AssertFrame(entry.Frames[1], "TaskDumpShapesTests.PooledAsync", "pooled", entry.ToString());
            Assert.Equal("notify", entry.WaitingOn?.Kind);

            notify.NotifyOne();
            Assert.Equal(2, await task);
        });
    }

    private static async IAsyncEnumerable<int> TicksAsync(Notify notify)
    {
        yield return 1;
        await notify.NotifiedAsync(); // @iterator
        yield return 2;
    }

    private static async Task<int> SumAsync(Notify notify)
    {
        int sum = 0;
        await foreach (int tick in TicksAsync(notify)) // @foreach
        {
            sum += tick;
        }

        return sum;
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_AsyncIterator_ShowsTheIteratorFrame(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle<int> task = RuntimeHandle.Current.Spawn(() => SumAsync(notify));

            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, task.Id);

            Assert.True(entry.Frames.Count == 2, entry.ToString());
            AssertFrame(entry.Frames[0], "TaskDumpShapesTests.SumAsync", "foreach", entry.ToString());
            AssertFrame(entry.Frames[1], "TaskDumpShapesTests.TicksAsync", "iterator", entry.ToString());
            Assert.Equal("notify", entry.WaitingOn?.Kind);

            notify.NotifyOne();
            Assert.Equal(3, await task);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_TaskWhenAll_SaysItCannotDescend(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            JoinHandle task = RuntimeHandle.Current.Spawn(async () =>
            {
                await Task.WhenAll(gate.Task, gate.Task); // @whenAll
            });
            await Waiting.UntilAsync(() => runtime.Handle.GetTasks().Any(t => t.Id == task.Id && t.State == TaskState.Idle && t.PollCount > 0));

            TaskDumpEntry entry = (await runtime.Handle.DumpAsync()).Tasks.Single(t => t.Task.Id == task.Id);

            TaskDumpFrame frame = Assert.Single(entry.Frames);
            AssertFrame(frame, "TaskDumpShapesTests.DumpAsync_TaskWhenAll_SaysItCannotDescend.lambda", "whenAll", entry.ToString());
            Assert.Equal("foreign", entry.WaitingOn?.Kind);
            Assert.StartsWith("Task.WhenAll (cannot descend)", entry.WaitingOn?.Resource, StringComparison.Ordinal);

            gate.SetResult();
            await task;
        });
    }

    private static async Task<int> BranchAsync(TaskCompletionSource<int> gate)
    {
        return await gate.Task; // @branch
    }

    private static async Task<int> NotifiedBranchAsync(Notify notify)
    {
        await notify.NotifiedAsync(); // @notifiedBranch
        return 1;
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_GenericTaskWhenAll_ShowsEachPendingChildAsABranch(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var notify = new Notify();
            JoinHandle<int[]> task = RuntimeHandle.Current.Spawn(async () =>
            {
                return await Task.WhenAll(BranchAsync(gate), NotifiedBranchAsync(notify)); // @whenAllOfT
            });
            await Waiting.UntilParkedAsync(runtime, task.Id);

            TaskDumpEntry entry = (await runtime.Handle.DumpAsync()).Tasks.Single(t => t.Task.Id == task.Id);
            string text = entry.ToString();

            TaskDumpFrame frame = Assert.Single(entry.Frames);
            AssertFrame(frame, "TaskDumpShapesTests.DumpAsync_GenericTaskWhenAll_ShowsEachPendingChildAsABranch.lambda", "whenAllOfT", text);
            Assert.True(entry.Branches.Count == 2, text);
            AssertFrame(Assert.Single(entry.Branches[0].Frames), "TaskDumpShapesTests.BranchAsync", "branch", text);
            Assert.Equal("Task<int> WaitingForActivation", entry.Branches[0].WaitingOn?.Resource);
            AssertFrame(Assert.Single(entry.Branches[1].Frames), "TaskDumpShapesTests.NotifiedBranchAsync", "notifiedBranch", text);
            Assert.Equal("notify", entry.Branches[1].WaitingOn?.Kind);
            Assert.Contains("├ branch 2 of 2", text, StringComparison.Ordinal);

            gate.SetResult(1);
            notify.NotifyOne();
            int[] results = await task;
            Assert.Equal(new[] { 1, 1 }, results);
        });
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_OtherTasksBusy_StillWalksTheParkedTaskExactly(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var stop = new CancellationTokenSource();
            var busy = new List<JoinHandle>();
            for (int i = 0; i < 4; i++)
            {
                busy.Add(RuntimeHandle.Current.Spawn(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await SpindleTask.YieldAsync();
                    }
                }));
            }

            var notify = new Notify();
            JoinHandle<int> parked = RuntimeHandle.Current.Spawn(() => CallsPooledAsync(notify));
            TaskDumpEntry entry = await DumpOfParkedAsync(runtime, parked.Id);
            TaskDump dump = await runtime.Handle.DumpAsync();
            stop.Cancel();

            Assert.True(entry.Frames.Count == 2, entry.ToString());
            AssertFrame(entry.Frames[1], "TaskDumpShapesTests.PooledAsync", "pooled", entry.ToString());
            Assert.All(dump.Tasks, t => Assert.DoesNotContain("walk failed", t.Note ?? "", StringComparison.Ordinal));
            notify.NotifyOne();
            await parked;
            foreach (JoinHandle task in busy)
            {
                await task;
            }
        });
    }
}

/// <summary>Task dumps of a task joining another: the join leaf at the bottom.</summary>
public sealed class TaskDumpJoinTests
{
    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void DumpAsync_TaskJoiningAnother_EndsInTheJoinLeaf(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        Rt.Run(runtime, async () =>
        {
            var notify = new Notify();
            JoinHandle inner = RuntimeHandle.Current.Spawn(async () => await notify.NotifiedAsync());
            JoinHandle outer = RuntimeHandle.Current.Spawn(async () => await inner, name: "joiner");
            LeafInfo leaf = await Waiting.UntilParkedAsync(runtime, outer.Id);

            TaskDumpEntry entry = (await runtime.Handle.DumpAsync()).Tasks.Single(t => t.Task.Id == outer.Id);

            TaskDumpFrame frame = Assert.Single(entry.Frames);
            Assert.Equal("TaskDumpJoinTests.DumpAsync_TaskJoiningAnother_EndsInTheJoinLeaf.lambda", frame.Method);
            Assert.Equal(leaf.Kind, entry.WaitingOn?.Kind);
            Assert.Equal(leaf.Resource, entry.WaitingOn?.Resource);

            notify.NotifyOne();
            await outer;
        });
    }
}
