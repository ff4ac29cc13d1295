using System.Globalization;
using System.Net;
using System.Text;
using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.Escaping;
using DnsBridge.Events;
using DnsBridge.Forwarding;
using DnsBridge.Mirror;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Delegation;
using DnsBridge.Residual;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>
/// A cutover's report, the evidence a project office asks for before the source is decommissioned: the timeline
/// of DNS, traffic and drain events, propagation history per resolver, residual traffic per hour, and the verdict.
/// Markdown by default, HTML on request.
/// </summary>
internal sealed class CutoverReport(ConfigMonitor config, DrainDetector drain, IEventStore eventStore, IResidualHistory residualHistory, IPropagationHistory propagationHistory, NudgeRegistry nudges, ResidualAccounting residual, TimeProvider time, IPropagationView? propagation = null, ClusterMirror? mirrors = null)
{
    private string Nudges(CutoverConfig cutover)
    {
        if (!cutover.Drain.Nudge)
        {
            return "Nudging: off (Drain.Nudge is false)";
        }

        var s = nudges.For(cutover.Name).Summary();
        return $"Nudging: {s.Http1} HTTP/1.1, {s.Http2} HTTP/2, {s.WebSocket} WebSocket and {s.Tcp} forwarded TCP connection(s) told to reconnect since this process started; "
            + $"of {s.ClientsNudged} nudged client(s), {s.ClientsStopped} stopped arriving at the source and {s.ClientsStillArriving} still arrive (their DNS cache outlives the connection: JVM networkaddress.cache.ttl, local caching resolvers)";
    }

    public (string Title, IReadOnlyList<string> Facts, IReadOnlyList<(string Title, string[] Header, IReadOnlyList<string[]> Rows, string? Text)> Sections)? Build(string name)
    {
        var cutover = config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
        if (cutover is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var status = drain.Status(cutover.Name) ?? new DrainStatus { Since = now };
        var verdict = Verdict(status);
        var facts = new List<string>
        {
            $"Hosts: {string.Join(", ", cutover.Hosts)}",
            $"Target: {cutover.Target.Scheme}://{cutover.Target.Address}:{cutover.Target.Port}",
            $"Source addresses: {(cutover.SourceAddresses.Count == 0 ? "(not configured)" : string.Join(", ", cutover.SourceAddresses))}",
            $"Drain rules: quiet period {cutover.Drain.QuietPeriod:c}, threshold {cutover.Drain.Threshold} residual request(s)",
            $"DNS switched: {T(status.DnsSwitchedAt)}; propagation complete: {T(status.PropagationCompleteAt)}; stale caches expired by: {T(status.StaleUntil)}",
            $"Quiet since: {T(status.QuietSince)}; drained: {T(status.DrainedAt)}",
            $"Residual requests and connections counted: {status.ResidualTotal}; last one: {T(status.LastResidualAt)}",
            residual.TryGet(cutover.Name, out var counter)
                ? $"Since this process started: {counter.Requests} residual request(s), {counter.Connections} residual connection(s)"
                : "Since this process started: nothing counted",
            Nudges(cutover),
            $"Verdict: {verdict}",
        };

        var events = eventStore.Events(cutover.Name, 1000).Select(e => new[] { T(e.At), e.Event, e.Text }).ToList();
        var changes = propagationHistory.Changes(cutover.Name).Select(c => new[] { T(c.At), c.Resolver, c.Answer, c.Addresses }).ToList();
        var hours = residualHistory.Minutes(cutover.Name)
            .GroupBy(m => new DateTimeOffset(m.Start.Year, m.Start.Month, m.Start.Day, m.Start.Hour, 0, 0, TimeSpan.Zero))
            .Select(g => new[] { T(g.Key), g.Sum(m => m.Count).ToString(CultureInfo.InvariantCulture) }).ToList();
        List<(string Title, string[] Header, IReadOnlyList<string[]> Rows, string? Text)> delegation = [];
        if (propagation?.Latest(cutover.Name)?.Delegation is { } d)
        {
            // A move of DNS provider: the old provider's servers are part of the verdict until old delegations expire.
            var until = d.CachedUntil(status.DnsSwitchedAt ?? d.SwitchedAt);
            facts.Add($"Delegation (DNS provider move): parent {d.ParentZone} names {string.Join(", ", d.ParentNameServers.DefaultIfEmpty(d.ParentError ?? "?"))} with NS TTL "
                + (d.ParentNsTtl is { } ttl ? $"{ttl} s" : $"unknown ({DelegationSnapshot.AssumedParentNsTtl} s assumed)")
                + $"; current NS set {string.Join(", ", d.CurrentNameServers)}; previous NS set ({d.PreviousFrom}) {string.Join(", ", d.PreviousNameServers)}. "
                + $"Resolvers that cached the old delegation may ask the previous servers until {(until is null ? "the switch + the parent NS TTL" : T(until) + " UTC")}."
                + (d.PreviousAnswersSource ? " A previous server still answers the source: update the record at the old provider too, or keep its zone until then." : ""));
            delegation.Add(("Delegation: what the previous name servers answer", ["previous server", "address", "answer", "records"],
                [.. d.Previous.Select(r => new[] { r.Resolver.Name, r.Resolver.Address, PropagationMetrics.Label(r.Answer), r.Error ?? string.Join(", ", r.Addresses.Concat(r.Cnames)) })], null));
        }

        return ($"Cutover report: {cutover.Name}", facts,
        [
            .. delegation,
            .. Readiness(cutover),
            ("Timeline", ["time (UTC)", "event", "summary"], events, events.Count == 0 ? "No event yet." : null),
            ("Residual traffic per hour", ["hour (UTC)", "residual requests"], hours, hours.Count == 0 ? "No residual request recorded." : null),
            ("DNS propagation history (answer changes per resolver)", ["time (UTC)", "resolver", "answer", "addresses"], changes, changes.Count == 0 ? "No propagation data recorded." : null),
        ]);
    }

    private List<(string Title, string[] Header, IReadOnlyList<string[]> Rows, string? Text)> Readiness(CutoverConfig cutover) =>
        mirrors?.Report(cutover.Name) is { } report && (cutover.Mirror.Enabled || report.Copies > 0)
            ? [MirrorReadinessReport.Section(report, cutover.Mirror)]
            : [];

    public static string ToMarkdown((string Title, IReadOnlyList<string> Facts, IReadOnlyList<(string Title, string[] Header, IReadOnlyList<string[]> Rows, string? Text)> Sections) report, DateTimeOffset at)
    {
        var text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"# {Markdown.Inline(report.Title)}").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Generated {T(at)} UTC by DnsBridge (all times UTC).").AppendLine();
        foreach (var fact in report.Facts)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {Markdown.Inline(fact)}");
        }

        foreach (var section in report.Sections)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {section.Title}").AppendLine();
            if (section.Text is not null)
            {
                text.AppendLine(section.Text);
                continue;
            }

            text.AppendLine("| " + string.Join(" | ", section.Header) + " |").AppendLine("|" + string.Concat(section.Header.Select(_ => " --- |")));
            foreach (var row in section.Rows)
            {
                text.AppendLine("| " + string.Join(" | ", row.Select(Markdown.Inline)) + " |");
            }
        }

        return text.ToString();
    }

    public static string ToHtml((string Title, IReadOnlyList<string> Facts, IReadOnlyList<(string Title, string[] Header, IReadOnlyList<string[]> Rows, string? Text)> Sections) report, DateTimeOffset at)
    {
        // Encoded for HTML, and what a terminal would run (the report is printed by `dnsbridge report` too) made visible.
        static string E(string s) => WebUtility.HtmlEncode(Untrusted.Escape(s));
        var html = new StringBuilder()
            .AppendLine("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + E(report.Title) + "</title>")
            .AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}th{background:#f0f0f0}</style></head><body>")
            .AppendLine("<h1>" + E(report.Title) + "</h1><p>Generated " + E(T(at)) + " UTC by DnsBridge (all times UTC).</p><ul>");
        foreach (var fact in report.Facts)
        {
            html.AppendLine("<li>" + E(fact) + "</li>");
        }

        html.AppendLine("</ul>");
        foreach (var section in report.Sections)
        {
            html.AppendLine("<h2>" + E(section.Title) + "</h2>");
            if (section.Text is not null)
            {
                html.AppendLine("<p>" + E(section.Text) + "</p>");
                continue;
            }

            html.Append("<table><thead><tr>").Append(string.Concat(section.Header.Select(h => "<th scope=\"col\">" + E(h) + "</th>"))).AppendLine("</tr></thead><tbody>");
            foreach (var row in section.Rows)
            {
                html.Append("<tr>").Append(string.Concat(row.Select(c => "<td>" + E(c) + "</td>"))).AppendLine("</tr>");
            }

            html.AppendLine("</tbody></table>");
        }

        return html.AppendLine("</body></html>").ToString();
    }

    /// <summary>The verdict sentence, shared with the wave report so both say the same thing about the same cutover.</summary>
    internal static string Verdict(DrainStatus status) => status.State == DrainState.Drained
        ? $"DRAINED since {T(status.DrainedAt)}: the source proxy and load balancer for these hosts can be decommissioned."
        : $"Not drained: state {status.State.Label()} since {T(status.Since)}. Keep the source running.";

    internal static string T(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";
}
