using System.Text.Json;
using System.Text.Json.Serialization;
using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>
/// The drain status as both stores keep it (one JSON column per cutover), from source-generated metadata: the
/// shipped build is Native AOT. Web defaults (camelCase), as the rows written by earlier releases.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DrainStatus))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
