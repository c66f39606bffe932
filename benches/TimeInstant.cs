using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Spindle.Time;

namespace Spindle.Benchmarks;

/// <summary>Cost of reading the clock: Spindle's <see cref="Instant.Now"/> against <see cref="Stopwatch.GetTimestamp"/>.</summary>
[MemoryDiagnoser]
public class TimeInstant
{
    [Benchmark(Baseline = true)]
    public long Stopwatch_GetTimestamp() => Stopwatch.GetTimestamp();

    [Benchmark]
    public long Spindle_InstantNow() => Instant.Now.Ticks;
}
