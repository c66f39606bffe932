using System;
using System.IO;

namespace Spindle.Packaging.Tests;

/// <summary>A temporary folder for nested builds, deleted (best effort) on dispose.</summary>
internal sealed class TempWorkspace : IDisposable
{
    public TempWorkspace(string prefix) => Root = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Root { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is harmless.
        }
    }
}
