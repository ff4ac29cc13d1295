using System.Text;
using System.Text.Json;
using DnsBridge.Escaping;

namespace DnsBridge.Preflight;

/// <summary>The checklist as a terminal table, as JSON for pipelines, or as Markdown for the project office.</summary>
internal static class PreflightFormatter
{
    public static string ToJson(PreflightReport report) => JsonSerializer.Serialize(
        new PreflightDocument(report.At, report.Overall, report.Count(PreflightStatus.Pass), report.Count(PreflightStatus.Warn), report.Count(PreflightStatus.Fail), report.Results),
        PreflightJsonContext.Default.PreflightDocument);

    public static string ToText(PreflightReport report)
    {
        // Subjects and findings quote what servers said (certificate names, DNS answers, errors): never raw to a terminal.
        var rows = report.Results.Select(r => new[] { Label(r.Status), r.Cutover, $"{r.Area}: {r.Check}", r.Subject ?? "", r.Found }.Select(Untrusted.Escape).ToArray()).ToList();
        var header = new[] { "STATUS", "CUTOVER", "CHECK", "SUBJECT", "FOUND" };
        var widths = Enumerable.Range(0, 4).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((c, i) => i < 4 ? c.PadRight(widths[i]) : c)).TrimEnd());
        Line(header);
        foreach (var (row, result) in rows.Zip(report.Results))
        {
            Line(row);
            if (result.Action is not null && result.Status != PreflightStatus.Pass)
            {
                text.Append(' ', widths.Sum() + 8).AppendLine($"-> {Untrusted.Escape(result.Action)}");
            }
        }

        text.AppendLine()
            .AppendLine($"{report.Count(PreflightStatus.Pass)} pass, {report.Count(PreflightStatus.Warn)} warn, {report.Count(PreflightStatus.Fail)} fail: "
                + (report.Overall == PreflightStatus.Fail ? "NOT ready for the DNS switch" : report.Overall == PreflightStatus.Warn ? "ready, with warnings" : "ready for the DNS switch"));
        return text.ToString();
    }

    public static string ToMarkdown(PreflightReport report)
    {
        var text = new StringBuilder()
            .AppendLine("# DnsBridge pre-cutover checklist")
            .AppendLine()
            .AppendLine($"Run at {report.At:yyyy-MM-dd HH:mm:ss} UTC. Result: **{Label(report.Overall)}** "
                + $"({report.Count(PreflightStatus.Pass)} pass, {report.Count(PreflightStatus.Warn)} warn, {report.Count(PreflightStatus.Fail)} fail).")
            .AppendLine()
            .AppendLine("| status | cutover | check | subject | found | action |")
            .AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in report.Results)
        {
            text.AppendLine($"| {Label(r.Status)} | {Markdown.Inline(r.Cutover)} | {Markdown.Inline($"{r.Area}: {r.Check}")} | {Markdown.Inline(r.Subject ?? "")} | {Markdown.Inline(r.Found)} | {Markdown.Inline(r.Action ?? "")} |");
        }

        return text.ToString();
    }

    private static string Label(PreflightStatus status) => status switch
    {
        PreflightStatus.Pass => "PASS",
        PreflightStatus.Warn => "WARN",
        _ => "FAIL",
    };
}
