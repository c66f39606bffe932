namespace SpindleTests.Support;

/// <summary>Runs two actions as close to simultaneously as the machine allows, to exercise both orders of a race.</summary>
public static class Race
{
    /// <summary>Upper bound of the random head start, in spin iterations: tens of microseconds, chosen by measurement on a 2-core machine so that both orders of a token cancel against a notify happen often.</summary>
    private const int MaxHeadStart = 100_000;

    /// <summary>
    /// Runs <paramref name="other"/> on a thread-pool thread and <paramref name="here"/> on the calling
    /// thread. Both spin on a flag rather than block (a blocked thread wakes so late that it would
    /// always lose), and a random head start for either side lets both orders happen.
    /// </summary>
    public static async Task RunAsync(Action other, Action here)
    {
        int go = 0;
        int ready = 0;
        int spin = Random.Shared.Next(-MaxHeadStart, MaxHeadStart);
        Task remote = Task.Run(() =>
        {
            Volatile.Write(ref ready, 1);
            var wait = new SpinWait();
            while (Volatile.Read(ref go) == 0)
            {
                wait.SpinOnce(sleep1Threshold: -1);
            }

            Thread.SpinWait(Math.Max(spin, 0));
            other();
        });
        var waitReady = new SpinWait();
        while (Volatile.Read(ref ready) == 0 && !remote.IsCompleted)
        {
            waitReady.SpinOnce(sleep1Threshold: -1);
        }

        Volatile.Write(ref go, 1);
        Thread.SpinWait(Math.Max(-spin, 0));
        here();
        await Rt.Within(remote);
    }
}
