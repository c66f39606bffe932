using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Spindle.Packaging.Tests;

/// <summary>
/// Task dumps in a trimmed, self-contained app: with the feature switch on they still show frames
/// and lines (and the trimmer reports no warnings for Spindle); with
/// <c>Spindle.Diagnostics.TaskDumps=false</c> the trimmer removes the walker, so the app pays nothing
/// for it, and dumps still list each task with its state and leaf.
/// </summary>
[Collection(Repo.BuildCollection)]
public sealed class TrimmedDumpTests : IDisposable
{
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromMinutes(4);
    private static readonly string[] s_walkerTypes = ["AsyncChainWalker", "AwaitSiteReader", "AsyncMethodNames"];
    private readonly TempWorkspace _workspace = new("spindle-trim-");

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void TrimmedApp_DumpsOn_ShowsFramesAndLines()
    {
        (string output, string publish) = PublishAndRun("on", dumpsOff: false);

        Assert.Contains("\"waiter\" Idle", output, StringComparison.Ordinal);
        Assert.Contains($"at Waiter.WaitAsync at Program.cs:{AwaitLine}", output, StringComparison.Ordinal);
        Assert.Contains("waiting on notify", output, StringComparison.Ordinal);
        Assert.All(s_walkerTypes, t => Assert.Contains(t, TypeNames(Path.Combine(publish, "Spindle.Runtime.dll"))));
    }

    [Fact]
    public void TrimmedApp_DumpsOff_TrimmerRemovesTheWalker_AndTasksAreStillListed()
    {
        (string output, string publish) = PublishAndRun("off", dumpsOff: true);

        Assert.Contains("\"waiter\" Idle", output, StringComparison.Ordinal);
        Assert.Contains("task dumps are switched off (Spindle.Diagnostics.TaskDumps)", output, StringComparison.Ordinal);
        Assert.Contains("waiting on notify", output, StringComparison.Ordinal);
        Assert.DoesNotContain("at Waiter.WaitAsync", output, StringComparison.Ordinal);
        HashSet<string> types = TypeNames(Path.Combine(publish, "Spindle.Runtime.dll"));
        Assert.Contains("RuntimeHandle", types);
        Assert.All(s_walkerTypes, t => Assert.DoesNotContain(t, types));
    }

    private (string Output, string Publish) PublishAndRun(string name, bool dumpsOff)
    {
        string app = Path.Combine(_workspace.Root, name);
        Directory.CreateDirectory(app);
        string runtimeProject = Path.Combine(Repo.Root, "packages", "Runtime", "Runtime.csproj");
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
                <SelfContained>true</SelfContained>
                <PublishTrimmed>true</PublishTrimmed>
                <TrimmerSingleWarn>false</TrimmerSingleWarn>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <RuntimeHostConfigurationOption Include="Spindle.Diagnostics.TaskDumps" Value="{(dumpsOff ? "false" : "true")}" Trim="true" />
                <ProjectReference Include="{runtimeProject}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), AppProgram);

        string publish = Path.Combine(app, "publish");
        Repo.Run("dotnet", $"publish -c Release -o \"{publish}\"", app, s_toolTimeout);
        string output = Repo.Run(Path.Combine(publish, "App"), "", app, s_toolTimeout);
        return (output, publish);
    }

    private static HashSet<string> TypeNames(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        MetadataReader reader = pe.GetMetadataReader();
        return reader.TypeDefinitions.Select(h => reader.GetString(reader.GetTypeDefinition(h).Name)).ToHashSet();
    }

    private static int AwaitLine => AppProgram.Split('\n').ToList().FindIndex(l => l.Contains("// @await", StringComparison.Ordinal)) + 1;

    private const string AppProgram = """
        using Spindle;
        using Spindle.Diagnostics;
        using Spindle.Sync;

        using Runtime runtime = RuntimeBuilder.CreateMultiThread().Build();
        runtime.BlockOn(async () =>
        {
            var notify = new Notify();
            JoinHandle waiter = SpindleTask.Spawn(() => Waiter.WaitAsync(notify), name: "waiter");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!runtime.Handle.GetTasks().Any(t => t.Id == waiter.Id && t.WaitingOn?.Kind == "notify"))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("the waiter never parked");
                }

                await SpindleTask.YieldAsync();
            }

            TaskDump dump = await runtime.Handle.DumpAsync();
            Console.WriteLine(dump.ToString());
            notify.NotifyOne();
            await waiter;
        });

        static class Waiter
        {
            public static async Task WaitAsync(Notify notify)
            {
                await notify.NotifiedAsync(); // @await
            }
        }
        """;
}
