using System.Text.Json.Serialization;

namespace DnsBridge.Configuration;

/// <summary>
/// The configuration as JSON, only to compare it: a reload's fingerprint and the replicas' configuration hash. Source
/// generated for the Native AOT build, with the serializer's default options (the hash must stay what replicas of
/// the previous release compute, so that a rolling update is not reported as a configuration mismatch).
/// </summary>
[JsonSerializable(typeof(DnsBridgeConfig))]
[JsonSerializable(typeof(IReadOnlyList<CutoverConfig>))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
