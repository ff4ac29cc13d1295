using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DnsBridge.Propagation;

/// <summary>
/// A propagation snapshot as the leader stores it for the followers (JSON): every resolver row, the authoritative
/// verdict, the delegation and the clocks, so a follower's API, status page and report show what the leader saw.
/// </summary>
public static class SnapshotDocument
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new EndPointConverter(), new JsonStringEnumConverter() },
    };

    public static string Write(PropagationSnapshot snapshot) => JsonSerializer.Serialize(snapshot, Json);

    /// <summary>The snapshot, or null when the document is not one (written by another release).</summary>
    public static PropagationSnapshot? Read(string document)
    {
        try
        {
            return JsonSerializer.Deserialize<PropagationSnapshot>(document, Json);
        }
        catch (JsonException)
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
}
