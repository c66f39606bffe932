using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Spindle.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benches -- --filter '*'</c>. Every benchmark class
/// puts a .NET baseline (<c>Baseline = true</c>) beside the Spindle method on the same workload.
/// The project file is named after the assembly because BenchmarkDotNet looks for it by that name.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["latency"])
        {
            NetEchoLatency.Run();
            return;
        }

        // Medians beside the means: the machines are shared and noisy, and the notes quote medians.
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddColumn(StatisticColumn.Median));
    }
}
