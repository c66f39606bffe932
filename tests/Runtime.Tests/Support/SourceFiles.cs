namespace SpindleTests.Support;

/// <summary>
/// Reads a test's own source file by the path the compiler recorded. A CI build
/// (<c>ContinuousIntegrationBuild</c>) maps the repository root to <c>/_/</c> in every recorded path,
/// so such a path is resolved against the repository that holds the test binaries.
/// </summary>
internal static class SourceFiles
{
    private const string DeterministicRoot = "/_/";

    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    public static string[] ReadLines(string recordedPath) => File.ReadAllLines(Resolve(recordedPath));

    /// <summary>The 1-based line that ends with <c>// @marker</c> in <paramref name="recordedPath"/>.</summary>
    public static int LineOfMarker(string marker, string recordedPath)
    {
        string[] lines = ReadLines(recordedPath);
        int index = Array.FindIndex(lines, l => l.TrimEnd().EndsWith("// @" + marker, StringComparison.Ordinal));
        Assert.True(index >= 0, $"marker @{marker} not found in {recordedPath}");
        return index + 1;
    }

    public static string Resolve(string recordedPath)
    {
        if (File.Exists(recordedPath) || !recordedPath.StartsWith(DeterministicRoot, StringComparison.Ordinal))
        {
            return recordedPath;
        }

        return Path.Combine(s_repoRoot.Value, recordedPath[DeterministicRoot.Length..]);
    }

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mono.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Mono.sln not found above {AppContext.BaseDirectory}; cannot map a deterministic source path to the repository");
    }
}
