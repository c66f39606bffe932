using System;

namespace Spindle.Scheduling;

/// <summary>
/// Where tasks were spawned: the caller's file, line and member, shared by every task spawned at that
/// place. A task keeps one reference to it instead of the three values (two references and a line),
/// which makes every task object 8 bytes smaller (it is all a spawn allocates).
/// </summary>
/// <remarks>
/// The sites come from a process-wide cache of 512 two-way sets indexed by line and file name length,
/// compared by reference first (caller-info strings are interned literals) and by value after, so
/// strings built at run time still find their site. Reads and writes of the slots are plain: a
/// reference is read or written whole, a thread that reads a stale slot misses and creates the site
/// again, and the found site is checked field by field. A site is never changed once published.
/// </remarks>
internal sealed class SpawnSite
{
    private const int Sets = 512;

    private static readonly SpawnSite?[] s_cache = new SpawnSite?[2 * Sets];

    private SpawnSite(string? filePath, int lineNumber, string? memberName)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        MemberName = memberName;
    }

    public string? FilePath { get; }

    public int LineNumber { get; }

    public string? MemberName { get; }

    /// <summary>The site for these caller-info values: from the cache, or created and cached.</summary>
    public static SpawnSite Of(string? filePath, int lineNumber, string? memberName)
    {
        SpawnSite?[] cache = s_cache;
        int first = 2 * SetOf(filePath, lineNumber);
        SpawnSite? site = cache[first];
        if (site is not null && site.Is(filePath, lineNumber, memberName))
        {
            return site;
        }

        site = cache[first + 1];
        if (site is not null && site.Is(filePath, lineNumber, memberName))
        {
            return site;
        }

        return Add(cache, first, filePath, lineNumber, memberName);
    }

    /// <summary>The cache set of a place (internal for the tests of sets shared by two places).</summary>
    internal static int SetOf(string? filePath, int lineNumber) =>
        (int)((((uint)lineNumber * 0x9E3779B1u) + (uint)(filePath?.Length ?? 0)) % Sets);

    private static SpawnSite Add(SpawnSite?[] cache, int first, string? filePath, int lineNumber, string? memberName)
    {
        var site = new SpawnSite(filePath, lineNumber, memberName);
        // The newest site goes first and the one it displaces moves to the second way, so two places
        // that share a set alternate without creating a site per spawn.
        cache[first + 1] = cache[first];
        cache[first] = site;
        return site;
    }

    private bool Is(string? filePath, int lineNumber, string? memberName) =>
        LineNumber == lineNumber && string.Equals(FilePath, filePath, StringComparison.Ordinal) && string.Equals(MemberName, memberName, StringComparison.Ordinal);
}
