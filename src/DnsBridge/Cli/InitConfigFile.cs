using System.Text;
using System.Text.Json;
using DnsBridge.Configuration;

namespace DnsBridge.Cli;

/// <summary>
/// The file <c>dnsbridge init</c> writes: one cutover with the listeners' and the state store's defaults spelled out,
/// so the first look at it shows where traffic arrives and where the admin listener is. Written key by key (no
/// reflection: the product is Native AOT) in the reader's section order.
/// </summary>
internal static class InitConfigFile
{
    /// <summary>The schema's file name beside the config, and the <c>$schema</c> the config names it by.</summary>
    public const string SchemaFileName = "dnsbridge.schema.json";

    /// <summary>
    /// The share of requests a rehearsal copies to the target: enough to compare every path group within minutes of
    /// ordinary traffic, small enough that a target still being loaded is not flooded. Only safe methods are copied.
    /// </summary>
    public const double RehearsalShare = 0.1;

    public static string Json(InitAnswers answers, IReadOnlyList<string> sourceAddresses)
    {
        var defaults = new ListenConfig();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", SchemaFileName);
            json.WriteStartObject(DnsBridgeConfig.SectionName);

            json.WriteStartObject(nameof(DnsBridgeConfig.Listen));
            json.WriteString(nameof(ListenConfig.Proxy), defaults.Proxy);
            json.WriteString(nameof(ListenConfig.Admin), defaults.Admin);
            json.WriteEndObject();

            json.WriteStartArray(nameof(DnsBridgeConfig.Cutovers));
            json.WriteStartObject();
            json.WriteString(nameof(CutoverConfig.Name), CutoverName(answers.Hosts[0]));
            Strings(json, nameof(CutoverConfig.Hosts), answers.Hosts);
            json.WriteStartObject(nameof(CutoverConfig.Target));
            json.WriteString(nameof(TargetConfig.Address), answers.Target.Address.ToString());
            json.WriteNumber(nameof(TargetConfig.Port), answers.Target.Port);
            json.WriteString(nameof(TargetConfig.Scheme), answers.Https ? "https" : "http");
            json.WriteEndObject();
            Strings(json, nameof(CutoverConfig.SourceAddresses), sourceAddresses);
            if (answers.SourceBackend is { } backend)
            {
                json.WriteStartObject(nameof(CutoverConfig.SourceBackend));
                json.WriteString(nameof(SourceBackendConfig.Address), backend.Address.ToString());
                json.WriteNumber(nameof(SourceBackendConfig.Port), backend.Port);
                json.WriteString(nameof(SourceBackendConfig.Scheme), answers.SourceBackendHttps ? "https" : "http");
                json.WriteEndObject();
                json.WriteStartObject(nameof(CutoverConfig.Mirror));
                json.WriteNumber(nameof(MirrorConfig.Share), RehearsalShare);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndArray();

            if (answers.Resolver is { } resolver)
            {
                // The resolver the answers came from is the one this site trusts: watched beside the built-in list.
                json.WriteStartObject(nameof(DnsBridgeConfig.Resolvers));
                json.WriteStartArray(nameof(ResolversConfig.Custom));
                json.WriteStartObject();
                json.WriteString(nameof(CustomResolverConfig.Name), "site");
                json.WriteString(nameof(CustomResolverConfig.Address), resolver.ToString());
                json.WriteString(nameof(CustomResolverConfig.Region), "site");
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteStartObject(nameof(DnsBridgeConfig.State));
            json.WriteString(nameof(StateConfig.Path), new StateConfig().Path);
            json.WriteEndObject();

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The first host names the cutover, cut to the 63 characters a name may have.</summary>
    public static string CutoverName(string host) => host.Length <= 63 ? host : host[..63].TrimEnd('.', '-');

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
