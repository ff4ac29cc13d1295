using System.Globalization;
using System.Text;
using System.Text.Json;
using DnsBridge.Escaping;
using Spectre.Console;

namespace DnsBridge.Cli;

/// <summary>
/// The wave overview of <c>dnsbridge status</c>, one row per cutover from <c>/api/summary</c>: a Spectre.Console
/// table on a terminal, aligned plain text when the output is redirected (for grep, watch(1) and logs).
/// </summary>
internal sealed record WaveStatus(IReadOnlyList<string[]> Rows)
{
    public static readonly string[] Header = ["cutover", "state", "phase", "propagation", "stale caches expire", "residual/min", "residual 1 h", "last residual request", "pending alerts"];

    /// <summary>Reads the API's JSON; times relative to <paramref name="now"/> (this machine's clock).</summary>
    public static WaveStatus Parse(string json, DateTimeOffset now)
    {
        using var doc = JsonDocument.Parse(json);
        var rows = new List<string[]>();
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            var drain = c.GetProperty("drain");
            var propagation = c.GetProperty("propagation");
            var residual = c.GetProperty("residual");
            var hasResidual = residual.ValueKind == JsonValueKind.Object;
            rows.Add(
            [
                // The instance's words, drawn on a terminal.
                Untrusted.Escape(c.GetProperty("name").GetString()),
                Untrusted.Escape(drain.GetProperty("state").GetString()),
                Untrusted.Escape(c.GetProperty("phase").GetString()),
                propagation.ValueKind == JsonValueKind.Object ? propagation.GetProperty("ratio").GetDouble().ToString("0%", CultureInfo.InvariantCulture) : "-",
                Until(Time(drain.GetProperty("staleUntil")), now),
                hasResidual ? residual.GetProperty("perMinute1m").GetInt64().ToString(CultureInfo.InvariantCulture) : "0",
                hasResidual ? residual.GetProperty("lastHour").GetInt64().ToString(CultureInfo.InvariantCulture) : "0",
                hasResidual && Time(residual.GetProperty("lastRequestAt")) is { } last ? $"{last.UtcDateTime:yyyy-MM-dd HH:mm:ss} ({Ago(now - last)})" : "-",
                c.GetProperty("pendingAlerts").GetInt32().ToString(CultureInfo.InvariantCulture),
            ]);
        }

        return new WaveStatus(rows);
    }

    /// <summary>The line above the table: how many cutovers in which state, and when (UTC).</summary>
    public string Summary(Uri admin, DateTimeOffset now) =>
        $"{admin} at {now.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC: {Rows.Count} cutover(s)"
        + string.Concat(Rows.GroupBy(r => r[1]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $", {g.Count()} {g.Key}"));

    public string ToText()
    {
        var widths = Header.Select((h, i) => Rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in Rows.Prepend(Header))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }

        return text.ToString();
    }

    public Table ToTable()
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in Header)
        {
            table.AddColumn(new TableColumn(h));
        }

        foreach (var row in Rows)
        {
            // The state keeps its word next to its colour: colour is never the only signal.
            var colour = row[1] switch { "drained" => "green", "quiet" => "cyan", "draining" => "yellow", "propagating" => "blue", _ => "grey" };
            table.AddRow([Markup.Escape(row[0]), $"[{colour}]{Markup.Escape(row[1])}[/]", .. row.Skip(2).Select(Markup.Escape)]);
        }

        return table;
    }

    private static DateTimeOffset? Time(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetDateTimeOffset() : null;

    private static string Until(DateTimeOffset? at, DateTimeOffset now) => at is not { } t ? "-" : t <= now ? "expired" : "in " + Span(t - now);

    private static string Ago(TimeSpan span) => span <= TimeSpan.Zero ? "just now" : Span(span) + " ago";

    private static string Span(TimeSpan s) =>
        s.TotalDays >= 1 ? $"{(int)s.TotalDays}d {s.Hours}h" : s.TotalHours >= 1 ? $"{(int)s.TotalHours}h {s.Minutes}m" : s.TotalMinutes >= 1 ? $"{s.Minutes}m {s.Seconds}s" : $"{s.Seconds}s";
}
