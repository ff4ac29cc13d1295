using System.Text.Json.Serialization;

namespace DnsBridge.Propagation;

/// <summary>
/// Source-generated metadata of the stored propagation snapshot (<see cref="SnapshotDocument"/>), for the Native AOT
/// build; the converters of the address types and the answer enum come with <see cref="SnapshotDocument"/>'s options.
/// </summary>
[JsonSerializable(typeof(PropagationSnapshot))]
internal sealed partial class SnapshotJsonContext : JsonSerializerContext;
