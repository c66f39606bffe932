using System;
using System.Diagnostics.CodeAnalysis;

namespace Spindle.Diagnostics;

/// <summary>The feature switch that turns the task-dump walker on (default) or off.</summary>
internal static class TaskDumpFeature
{
    public const string SwitchName = "Spindle.Diagnostics.TaskDumps";

    /// <summary>
    /// Whether dumps walk async call chains. Off: <see cref="TaskDump"/> still lists tasks with their
    /// state and leaf, and the trimmer removes the walker (the switch is a constant in trimmed apps).
    /// </summary>
    [FeatureSwitchDefinition(SwitchName)]
    public static bool IsEnabled { get; } = !AppContext.TryGetSwitch(SwitchName, out bool enabled) || enabled;
}
