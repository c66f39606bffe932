namespace Spindle.Diagnostics;

/// <summary>One <c>await</c> of an async method, read from its IL and portable PDB: the state it suspends in, its awaiter field and its source line.</summary>
internal readonly record struct AwaitSite(int State, string? AwaiterField, string? FilePath, int LineNumber);
