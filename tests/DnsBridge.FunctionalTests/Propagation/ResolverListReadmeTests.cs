using System.Globalization;
using System.Text;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// The table of built-in resolvers in docs/guides/dns-check.md (DoT, DoH, ECS, PoP question, sources) is resolvers.json as shipped: a
/// user choosing <c>Propagation:Transport</c> or reading a <c>pop</c> trusts it, so it may not drift from the data.
/// </summary>
public sealed class ResolverListReadmeTests
{
    private const string Start = "<!-- resolvers-table:start (generated from src/DnsBridge/Propagation/resolvers.json; ResolverListReadmeTests) -->";
    private const string End = "<!-- resolvers-table:end -->";

    /// <summary>The table as it must read: one row per built-in resolver, in the file's order.</summary>
    private static string Expected()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Repo.PathOf("src", "DnsBridge", "Propagation", "resolvers.json")));
        var table = new StringBuilder()
            .Append("| resolver | address | DoT | DoH | ECS | PoP question | sources (DoT/DoH/ECS, PoP) |\n")
            .Append("| --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var r in json.RootElement.GetProperty("resolvers").EnumerateArray())
        {
            string Text(string key) => r.TryGetProperty(key, out var v) ? $"`{v.GetString()}`" : "–";
            string[] Urls(string key) => r.TryGetProperty(key, out var v) ? [.. v.EnumerateArray().Select(u => u.GetString()!)] : [];
            var ecs = r.TryGetProperty("ecs", out var e) ? (e.GetBoolean() ? "yes" : "no") : "probed";
            var sources = Urls("encryptedSources").Concat(Urls("popSources")).Distinct(StringComparer.Ordinal).Select(u => $"<{u}>").ToList();
            table.Append(CultureInfo.InvariantCulture,
                $"| {r.GetProperty("name").GetString()} ({r.GetProperty("operator").GetString()}) | {r.GetProperty("address").GetString()} | {Text("dot")} | {Text("doh")} | {ecs} | {Text("popQuery")} | {(sources.Count == 0 ? "–" : string.Join(" ", sources))} |\n");
        }

        return table.ToString();
    }

    [Fact]
    public void The_readme_table_of_built_in_resolvers_matches_resolvers_json()
    {
        var readme = File.ReadAllText(Repo.PathOf("docs", "guides", "dns-check.md")).ReplaceLineEndings("\n");
        var start = readme.IndexOf(Start, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"docs/guides/dns-check.md lacks the markers {Start} ... {End}");

        var actual = readme[(start + Start.Length)..end].Trim('\n') + "\n";
        Assert.True(Expected() == actual, $"The resolver table of docs/guides/dns-check.md differs from resolvers.json; it should read:\n{Expected()}");
    }
}
