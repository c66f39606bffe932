using System;
using Spindle.Time;

namespace Spindle.Tour;

/// <summary>The demo: shows the runtime working end to end and exits by itself.</summary>
public static class Program
{
    public static int Main()
    {
        Instant start = Instant.Now;
        Console.WriteLine($"Spindle tour: clock reads {start}");
        Console.WriteLine($"Tour finished in {start.Elapsed.TotalMilliseconds:F1} ms");
        return 0;
    }
}
