using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Spindle.Packaging.Tests;

/// <summary>Finds the repository and runs tools (dotnet, git) with a bounded wait.</summary>
internal static class Repo
{
    /// <summary>Tests that run nested builds of the repository's projects share one collection so they never build the same project at once.</summary>
    public const string BuildCollection = "nested dotnet builds";

    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mono.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Mono.sln not found above {AppContext.BaseDirectory}");
    }

    public static string Run(string file, string args, string workingDirectory, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A nested build must not inherit the test host's MSBuild node settings.
        psi.Environment["MSBUILDNOINPROCNODE"] = null;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (env is not null)
        {
            foreach (var (key, value) in env)
            {
                psi.Environment[key] = value;
            }
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {args}' did not finish within {timeout}:\n{output}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {args}' exited with {process.ExitCode}:\n{output}");
        }

        return output.ToString();
    }
}
