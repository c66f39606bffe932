using System;

namespace Spindle.Packaging.Tests;

/// <summary>The README's demo command runs the tour end to end and exits 0 by itself.</summary>
[Collection(Repo.BuildCollection)]
public sealed class TourTests
{
    [Fact]
    public void Tour_RunsEndToEnd_AndExitsZero()
    {
        string output = Repo.Run("dotnet", "run --project examples/Tour -c Release", Repo.Root, TimeSpan.FromMinutes(4));
        foreach (string section in new[] { "[spawn]", "[joinset] completion order: 10 ms, 20 ms, 30 ms", "[abort]", "finally ran: True", "[interval] tick 3", "[timeout]", "[blocking]", "[metrics]", "Tour finished." })
        {
            Assert.Contains(section, output, StringComparison.Ordinal);
        }
    }
}
