using System.Text.Json.Serialization;

namespace DnsBridge.Cli;

/// <summary>Source-generated metadata of the CLI's JSON output (<c>check --json</c>) for the Native AOT build.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(CheckDocument))]
[JsonSerializable(typeof(CheckUnreachableDocument))]
[JsonSerializable(typeof(PhaseRequestBody))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
