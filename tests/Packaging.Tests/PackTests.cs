using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
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
    private readonly string _work = Directory.CreateTempSubdirectory("spindle-pack-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is harmless.
        }
    }

    [Fact]
    public void Pack_Runtime_ProducesPackageAndSymbolsWithRepositoryMetadata_AndConsumerRuns()
    {
        string feed = Path.Combine(_work, "feed");
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

        string consumer = Path.Combine(_work, "consumer");
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
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_work, "packages") };
        string output = Repo.Run("dotnet", "run -c Release", consumer, s_toolTimeout, env);
        Assert.Contains("42 fast", output, StringComparison.Ordinal);
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
