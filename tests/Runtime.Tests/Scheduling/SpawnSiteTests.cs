using Spindle.Scheduling;
using SpindleTests.Support;

namespace SpindleTests.Scheduling;

/// <summary>The shared spawn locations that tasks point to instead of carrying three values each.</summary>
public sealed class SpawnSiteTests
{
    private const string File = "/src/app/SpawnSiteTests.Sample.cs";

    [Fact]
    public void OnePlace_GivesOneSite_EvenForStringsBuiltAtRunTime()
    {
        SpawnSite site = SpawnSite.Of(File, 1201, "Serve");
        Assert.Same(site, SpawnSite.Of(File, 1201, "Serve"));
        // Equal strings that are not the interned literals (a caller passing its own values).
        string file = string.Concat("/src/app/", "SpawnSiteTests.Sample.cs");
        string member = new string('S', 1) + "erve";
        Assert.NotSame(File, file);
        Assert.Same(site, SpawnSite.Of(file, 1201, member));
        Assert.Equal((File, 1201, "Serve"), (site.FilePath, site.LineNumber, site.MemberName));
    }

    [Fact]
    public void DifferentPlaces_GetTheirOwnSites()
    {
        SpawnSite a = SpawnSite.Of(File, 1301, "Serve");
        SpawnSite otherLine = SpawnSite.Of(File, 1302, "Serve");
        SpawnSite otherMember = SpawnSite.Of(File, 1301, "Accept");
        SpawnSite otherFile = SpawnSite.Of("/src/app/Other.cs", 1301, "Serve");
        SpawnSite none = SpawnSite.Of(null, 0, null);
        Assert.Equal(5, new HashSet<SpawnSite>([a, otherLine, otherMember, otherFile, none], ReferenceEqualityComparer.Instance).Count);
        Assert.Equal((File, 1302, "Serve"), (otherLine.FilePath, otherLine.LineNumber, otherLine.MemberName));
        Assert.Equal((File, 1301, "Accept"), (otherMember.FilePath, otherMember.LineNumber, otherMember.MemberName));
        Assert.Equal(("/src/app/Other.cs", 1301, "Serve"), (otherFile.FilePath, otherFile.LineNumber, otherFile.MemberName));
        Assert.Equal((null, 0, null), (none.FilePath, none.LineNumber, none.MemberName));
    }

    [Fact]
    public void TwoPlacesSharingACacheSet_BothStayCached()
    {
        const string file = "/src/app/SpawnSiteTests.Collide.cs";
        int line = 5000;
        int other = Enumerable.Range(line + 1, 100_000).First(l => SpawnSite.SetOf(file, l) == SpawnSite.SetOf(file, line));
        SpawnSite a = SpawnSite.Of(file, line, "A");
        SpawnSite b = SpawnSite.Of(file, other, "B");
        // Alternating spawns from the two places reuse their sites instead of creating one per spawn.
        for (int i = 0; i < 3; i++)
        {
            Assert.Same(a, SpawnSite.Of(file, line, "A"));
            Assert.Same(b, SpawnSite.Of(file, other, "B"));
        }
    }

    [Theory]
    [MemberData(nameof(Rt.Flavors), MemberType = typeof(Rt))]
    public void TasksSpawnedAtOnePlace_ShareItsSite(RuntimeFlavor flavor)
    {
        using Runtime runtime = Rt.Build(flavor);
        TaskCore[] tasks = Rt.Run(runtime, async () =>
        {
            var spawned = new TaskCore[3];
            for (int i = 0; i < spawned.Length; i++)
            {
                JoinHandle handle = SpindleTask.Spawn(static () => Task.CompletedTask);
                spawned[i] = handle.Task;
                await handle;
            }

            return spawned;
        });
        Assert.All(tasks, task => Assert.Same(tasks[0].SpawnSite, task.SpawnSite));
        Assert.EndsWith("SpawnSiteTests.cs", tasks[0].SpawnFilePath, StringComparison.Ordinal);
        Assert.Equal(nameof(TasksSpawnedAtOnePlace_ShareItsSite), tasks[0].SpawnMemberName);
    }
}
