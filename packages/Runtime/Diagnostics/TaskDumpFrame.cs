using System.Globalization;

namespace Spindle.Diagnostics;

/// <summary>One async method in a task's suspended call chain: where it is suspended, as part of a <see cref="TaskDump"/>.</summary>
/// <remarks><para><b>Thread safety:</b> immutable.</para></remarks>
public sealed class TaskDumpFrame
{
    internal TaskDumpFrame(string method, string? filePath, int lineNumber, string? note)
    {
        Method = method;
        FilePath = filePath;
        LineNumber = lineNumber;
        Note = note;
    }

    /// <summary>
    /// Gets the method, readable: <c>Type.Method</c>, <c>Type.Method.lambda</c> for a lambda,
    /// <c>Type.Method.Local</c> for a local function, with generic arguments (<c>Cache&lt;int&gt;.GetAsync</c>).
    /// </summary>
    public string Method { get; }

    /// <summary>Gets the source file of the <c>await</c> the method is suspended at, or null when no portable PDB was found.</summary>
    public string? FilePath { get; }

    /// <summary>Gets the line of the <c>await</c>, or 0 when unknown.</summary>
    public int LineNumber { get; }

    /// <summary>Gets why the walk could not go further or is uncertain here (e.g. <c>cannot descend into Task.WhenAll</c>), or null.</summary>
    public string? Note { get; }

    /// <summary>Returns e.g. <c>Worker.RunAsync at Worker.cs:42</c>.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString()
    {
        string text = FilePath is null ? Method : string.Create(CultureInfo.InvariantCulture, $"{Method} at {System.IO.Path.GetFileName(FilePath)}:{LineNumber}");
        return Note is null ? text : text + " (" + Note + ")";
    }
}
