using System.Text.Json;
using System.Text.Json.Serialization;

namespace DnsBridge.Preflight;

/// <summary>The checklist as JSON (<c>preflight --format json</c>, <c>/api/cutovers/{name}/preflight</c>): the totals, then every row.</summary>
internal sealed record PreflightDocument(DateTimeOffset At, PreflightStatus Overall, int Pass, int Warn, int Fail, IReadOnlyList<PreflightResult> Results);

/// <summary>Source-generated metadata of <see cref="PreflightDocument"/> for the Native AOT build.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(PreflightDocument))]
internal sealed partial class PreflightJsonContext : JsonSerializerContext;
