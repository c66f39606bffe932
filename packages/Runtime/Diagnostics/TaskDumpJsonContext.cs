using System.Text.Json.Serialization;

namespace Spindle.Diagnostics;

/// <summary>Source-generated (trim- and AOT-safe) JSON metadata for <see cref="TaskDump"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TaskDump))]
internal sealed partial class TaskDumpJsonContext : JsonSerializerContext
{
}
