using System.Text.Json;
using System.Text.Json.Serialization;

namespace DnsBridge.Admin;

/// <summary>
/// Source-generated JSON metadata of every admin API answer: the shipped build is Native AOT, where reflection-based
/// serialization is off. The endpoints answer with typed results (<c>TypedResults.Ok(document)</c>), which ASP.NET Core
/// writes with its JSON options, whose only resolver this context is (<see cref="AdminServiceCollectionExtensions"/>).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CutoverDocument))]
[JsonSerializable(typeof(IReadOnlyList<CutoverDocument>))]
[JsonSerializable(typeof(IReadOnlyList<CutoverSummaryDocument>))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(PhaseChangeRequest))]
[JsonSerializable(typeof(PhaseChangeDocument))]
[JsonSerializable(typeof(ResidualSeriesDocument))]
[JsonSerializable(typeof(PropagationSeriesDocument))]
[JsonSerializable(typeof(ClusterDocument))]
[JsonSerializable(typeof(DnsBridge.Mirror.MirrorReport))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
