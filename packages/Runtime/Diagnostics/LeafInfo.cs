using System.Globalization;

namespace Spindle.Diagnostics;

/// <summary>What a task is waiting on: a Spindle leaf (sleep, join, channel receive, …) as it describes itself.</summary>
/// <remarks><para><b>Thread safety:</b> immutable.</para></remarks>
public sealed class LeafInfo
{
    /// <summary>Creates a description.</summary>
    /// <param name="kind">The kind of wait, e.g. <c>sleep</c>, <c>join</c>, <c>yield</c>.</param>
    /// <param name="resource">The resource waited on, e.g. <c>until +350 ms</c> or <c>task #12</c>; may be null.</param>
    /// <param name="callerFilePath">The file of the await, if known.</param>
    /// <param name="callerLineNumber">The line of the await, or 0.</param>
    /// <param name="callerMemberName">The member that awaited, if known.</param>
    public LeafInfo(string kind, string? resource, string? callerFilePath = null, int callerLineNumber = 0, string? callerMemberName = null)
    {
        Kind = kind;
        Resource = resource;
        CallerFilePath = callerFilePath;
        CallerLineNumber = callerLineNumber;
        CallerMemberName = callerMemberName;
    }

    /// <summary>Gets the kind of wait, e.g. <c>sleep</c>, <c>join</c>.</summary>
    public string Kind { get; }

    /// <summary>Gets what is waited on, or null.</summary>
    public string? Resource { get; }

    /// <summary>Gets the source file of the code that started the wait, if known.</summary>
    public string? CallerFilePath { get; }

    /// <summary>Gets the line of the code that started the wait, or 0.</summary>
    public int CallerLineNumber { get; }

    /// <summary>Gets the member that started the wait, if known.</summary>
    public string? CallerMemberName { get; }

    /// <summary>Returns e.g. <c>sleep until +350 ms at Worker.cs:42</c>.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString()
    {
        string text = Resource is null ? Kind : Kind + " " + Resource;
        return CallerFilePath is null
            ? text
            : string.Create(CultureInfo.InvariantCulture, $"{text} at {System.IO.Path.GetFileName(CallerFilePath)}:{CallerLineNumber}");
    }
}
