namespace SpindleNetTests.Support;

/// <summary>The net contract suite's matrix: every test runs on both schedulers and both I/O backends.</summary>
public static class NetRt
{
    public static TheoryData<RuntimeFlavor, IoBackend> Matrix => new()
    {
        { RuntimeFlavor.CurrentThread, IoBackend.Epoll },
        { RuntimeFlavor.MultiThread, IoBackend.Epoll },
        { RuntimeFlavor.CurrentThread, IoBackend.Portable },
        { RuntimeFlavor.MultiThread, IoBackend.Portable },
    };

    public static Runtime Build(RuntimeFlavor flavor, IoBackend backend, bool paused = false) =>
        Rt.Build(flavor, paused, b => b.IoBackend(backend));

    /// <summary>Builds the runtime, runs <paramref name="body"/> in BlockOn with the test bound, and disposes it.</summary>
    public static void Run(RuntimeFlavor flavor, IoBackend backend, Func<Task> body)
    {
        using Runtime runtime = Build(flavor, backend);
        Rt.Run(runtime, body);
    }
}
