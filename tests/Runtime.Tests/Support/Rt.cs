using Spindle.Diagnostics;

namespace SpindleTests.Support;

/// <summary>Builds runtimes for the contract suites and bounds every wait so a deadlock fails fast.</summary>
public static class Rt
{
    /// <summary>Upper bound for any single wait in a test: long enough for a loaded CI machine, short enough to fail fast.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TheoryData<RuntimeFlavor> Flavors => new() { RuntimeFlavor.CurrentThread, RuntimeFlavor.MultiThread };

    public static Runtime Build(RuntimeFlavor flavor, bool paused = false, Action<RuntimeBuilder>? configure = null)
    {
        RuntimeBuilder builder = flavor == RuntimeFlavor.CurrentThread
            ? RuntimeBuilder.CreateCurrentThread()
            : RuntimeBuilder.CreateMultiThread().WorkerThreads(2);
        builder.ShutdownTimeout(TimeSpan.FromSeconds(5)).StartPaused(paused);
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Runs BlockOn on a helper thread so a hang becomes a test failure instead of a stuck run.</summary>
    public static T Run<T>(Runtime runtime, Func<Task<T>> body)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = runtime.BlockOn(body);
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { IsBackground = true, Name = "test-block-on" };
        thread.Start();
        if (!thread.Join(Bound))
        {
            throw new TimeoutException($"BlockOn did not finish within {Bound}; tasks: {string.Join("; ", runtime.Handle.GetTasks())}");
        }

        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }

    public static void Run(Runtime runtime, Func<Task> body) => Run(runtime, async () => { await body(); return 0; });

    /// <summary>Awaits a foreign task with a bound.</summary>
    public static async Task<T> Within<T>(Task<T> task) => await task.WaitAsync(Bound);

    public static async Task Within(Task task) => await task.WaitAsync(Bound);
}
