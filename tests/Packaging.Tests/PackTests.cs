using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Spindle.Packaging.Tests;

/// <summary>
/// Packs the shipped packages into a temporary folder and builds and runs a consumer that references
/// them from there, the way a user would.
/// </summary>
[Collection(Repo.BuildCollection)]
public sealed class PackTests : IDisposable
{
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromMinutes(4);
    private readonly TempWorkspace _workspace = new("spindle-pack-");

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Pack_Runtime_ProducesPackageAndSymbolsWithRepositoryMetadata_AndConsumerRuns()
    {
        string feed = Path.Combine(_workspace.Root, "feed");
        Repo.Run("dotnet", $"pack packages/Runtime/Runtime.csproj -c Release -o \"{feed}\"", Repo.Root, s_toolTimeout);

        string nupkg = Directory.GetFiles(feed, "Spindle.Runtime.*.nupkg").Single(f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
        string version = Path.GetFileNameWithoutExtension(nupkg)["Spindle.Runtime.".Length..];
        Assert.True(File.Exists(Path.Combine(feed, $"Spindle.Runtime.{version}.snupkg")), "the symbol package is missing");

        string head = Repo.Run("git", "rev-parse HEAD", Repo.Root, s_toolTimeout).Trim();
        using (ZipArchive zip = ZipFile.OpenRead(nupkg))
        {
            ZipArchiveEntry nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            using Stream stream = nuspecEntry.Open();
            XElement metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            XElement repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.Equal("git", (string?)repository.Attribute("type"));
            Assert.StartsWith("https://", (string?)repository.Attribute("url"), StringComparison.Ordinal);
            Assert.Equal(head, (string?)repository.Attribute("commit"));
            Assert.Contains(zip.Entries, e => e.FullName == "lib/net10.0/Spindle.Runtime.dll");
            Assert.Contains(zip.Entries, e => e.FullName == "lib/net10.0/Spindle.Runtime.xml");
            Assert.Contains(zip.Entries, e => e.FullName == "README.md");
        }

        string consumer = Path.Combine(_workspace.Root, "consumer");
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Spindle.Runtime" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), ConsumerProgram);
        File.WriteAllText(Path.Combine(consumer, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        // A private package cache: a stale Spindle.Runtime of the same version must not be picked up.
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_workspace.Root, "packages") };
        string output = Repo.Run("dotnet", "run -c Release", consumer, s_toolTimeout, env);
        Assert.Contains("42 fast", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_ConsumersOfRuntimeAndNet_AndOfStream_DoNotGetSystemLinqAsync()
    {
        // Issue 5: Spindle uses no System.Linq.Async (see packages/Runtime.Stream/README.md), so neither
        // a consumer of Spindle.Runtime and Spindle.Runtime.Net nor one of Spindle.Runtime.Stream may
        // find it, or Ix's System.Interactive.Async, in its restored dependency graph.
        string feed = Path.Combine(_workspace.Root, "feed");
        foreach (string project in new[] { "Runtime/Runtime.csproj", "Runtime.Net/Runtime.Net.csproj", "Runtime.Stream/Runtime.Stream.csproj" })
        {
            Repo.Run("dotnet", $"pack packages/{project} -c Release -o \"{feed}\"", Repo.Root, s_toolTimeout);
        }

        string version = PackedVersion(feed, "Spindle.Runtime");
        Assert.Equal(version, PackedVersion(feed, "Spindle.Runtime.Net"));
        Assert.Equal(version, PackedVersion(feed, "Spindle.Runtime.Stream"));

        HashSet<string> netGraph = RestoredPackages("net-consumer", feed, version, "Spindle.Runtime", "Spindle.Runtime.Net");
        Assert.Contains("Spindle.Runtime", netGraph);
        Assert.Contains("Spindle.Runtime.Net", netGraph);
        Assert.DoesNotContain("System.Linq.Async", netGraph);
        Assert.DoesNotContain("System.Interactive.Async", netGraph);

        // Stream references the other two, so they come transitively.
        HashSet<string> streamGraph = RestoredPackages("stream-consumer", feed, version, "Spindle.Runtime.Stream");
        Assert.Contains("Spindle.Runtime.Stream", streamGraph);
        Assert.Contains("Spindle.Runtime.Net", streamGraph);
        Assert.Contains("Spindle.Runtime", streamGraph);
        Assert.DoesNotContain("System.Linq.Async", streamGraph);
        Assert.DoesNotContain("System.Interactive.Async", streamGraph);
    }

    /// <summary>The version of the package <paramref name="id"/> packed into <paramref name="feed"/> (exactly that id, not Spindle.Runtime.Net for Spindle.Runtime).</summary>
    private static string PackedVersion(string feed, string id)
    {
        var pattern = new Regex($@"^{Regex.Escape(id)}\.(\d+\..*)\.nupkg$", RegexOptions.CultureInvariant);
        return Directory.GetFiles(feed, "*.nupkg")
            .Select(f => pattern.Match(Path.GetFileName(f)))
            .Single(m => m.Success)
            .Groups[1].Value;
    }

    /// <summary>
    /// Restores a consumer of <paramref name="packages"/> and returns every package in its restored
    /// graph (project.assets.json targets). Spindle packages come from <paramref name="feed"/> only;
    /// any other package from the machine's package cache, so that a third-party dependency, if one
    /// crept in, shows up in the graph instead of failing the restore.
    /// </summary>
    private HashSet<string> RestoredPackages(string name, string feed, string version, params string[] packages)
    {
        string consumer = Path.Combine(_workspace.Root, name);
        Directory.CreateDirectory(consumer);
        string references = string.Concat(packages.Select(p => $"""
                <PackageReference Include="{p}" Version="{version}" />

            """));
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
            {references}  </ItemGroup>
            </Project>
            """);

        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cacheSource = Directory.Exists(cache) ? $"""<add key="cache" value="{cache}" />""" : "";
        string cacheMapping = Directory.Exists(cache) ? """<packageSource key="cache"><package pattern="*" /></packageSource>""" : "";
        File.WriteAllText(Path.Combine(consumer, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                {cacheSource}
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="Spindle.*" /></packageSource>
                {cacheMapping}
              </packageSourceMapping>
            </configuration>
            """);

        // A private package cache: a stale Spindle package of the same version must not be picked up.
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_workspace.Root, "packages") };
        Repo.Run("dotnet", "restore", consumer, s_toolTimeout, env);

        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(consumer, "obj", "project.assets.json")));
        var restored = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonProperty target in assets.RootElement.GetProperty("targets").EnumerateObject())
        {
            foreach (JsonProperty library in target.Value.EnumerateObject())
            {
                // Keys are "Name/Version".
                restored.Add(library.Name[..library.Name.IndexOf('/', StringComparison.Ordinal)]);
            }
        }

        Assert.NotEmpty(restored);
        return restored;
    }

    /// <summary>The consumer is the README's example, so the README cannot show code that does not build and run.</summary>
    private static string ConsumerProgram
    {
        get
        {
            string readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
            const string Fence = "```csharp";
            int start = readme.IndexOf(Fence, StringComparison.Ordinal);
            Assert.True(start >= 0, "README.md must contain a ```csharp example");
            start += Fence.Length;
            int end = readme.IndexOf("```", start, StringComparison.Ordinal);
            return readme[start..end];
        }
    }
}
