using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using DnsBridge.Configuration;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.Propagation;

/// <summary>
/// A propagation snapshot as the leader stores it for the followers (JSON): every resolver row, the authoritative
/// verdict, the delegation and the clocks, so a follower's API, status page and report show what the leader saw.
/// </summary>
internal static class SnapshotDocument
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new EndPointConverter(), new ResolverAddressConverter(), new ClientSubnetConverter(), new JsonStringEnumConverter<ResolverAnswer>() },
        TypeInfoResolver = SnapshotJsonContext.Default,
    };

    private static readonly JsonTypeInfo<PropagationSnapshot> Snapshot = (JsonTypeInfo<PropagationSnapshot>)Json.GetTypeInfo(typeof(PropagationSnapshot));

    public static string Write(PropagationSnapshot snapshot) => JsonSerializer.Serialize(snapshot, Snapshot);

    /// <summary>The snapshot, or null when the document is not one (written by another release).</summary>
    public static PropagationSnapshot? Read(string document)
    {
        try
        {
            return JsonSerializer.Deserialize(document, Snapshot);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private sealed class EndPointConverter : JsonConverter<IPEndPoint>
    {
        public override IPEndPoint Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            IPEndPoint.TryParse(reader.GetString() ?? "", out var endPoint) ? endPoint : throw new JsonException("not an IP:PORT");

        public override void Write(Utf8JsonWriter writer, IPEndPoint value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }

    // A follower shows how each row was reached; it never asks, so the DoH dial address (not part of the text form)
    // is not needed on its side.
    private sealed class ResolverAddressConverter : JsonConverter<ResolverAddress>
    {
        public override ResolverAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ResolverAddress.TryParse(reader.GetString() ?? "", null, out var address, out var why) ? address : throw new JsonException(why);

        public override void Write(Utf8JsonWriter writer, ResolverAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }

    private sealed class ClientSubnetConverter : JsonConverter<ClientSubnet>
    {
        public override ClientSubnet Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ClientSubnet.TryParse(reader.GetString() ?? "", out var subnet) ? subnet : throw new JsonException("not a client subnet");

        public override void Write(Utf8JsonWriter writer, ClientSubnet value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
