using System.Text.Json;
using Json.Schema;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>config/dnsbridge.schema.json as an editor applies it: what it says about a config file.</summary>
internal static class ConfigSchema
{
    public static string FilePath { get; } = Path.Combine(AppContext.BaseDirectory, "config", "dnsbridge.schema.json");

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(FilePath)));

    /// <summary>Every place the schema refuses, as "pointer: message"; empty when it accepts the file.</summary>
    public static IReadOnlyList<string> Errors(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : [.. (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Distinct()];
    }
}
