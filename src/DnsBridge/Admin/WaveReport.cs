using System.Globalization;
using System.Text;
using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Residual;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>
/// The wave report: every configured cutover on one page, what a project office pastes into its weekly report.
/// Markdown and HTML are rendered by <see cref="CutoverReport"/>'s renderers (one table), so both reports look and
/// escape alike; CSV is one row per cutover with ISO 8601 UTC times.
/// </summary>
internal sealed class WaveReport(ConfigMonitor config, DrainDetector drain, ResidualAccounting residual, IEventStore eventStore, TimeProvider time)
{
    private static readonly string[] CsvHeader =
    [
        "cutover", "hosts", "state", "state_since", "decommission_safe", "verdict", "dns_switched_at", "propagation_complete_at",
        "stale_until", "quiet_since", "drained_at", "last_residual_at", "residual_total", "residual_last_hour", "pending_alerts",
        "top_user_agent", "last_event", "last_event_at", "last_event_text",
    ];

    public IReadOnlyList<WaveRow> Rows()
    {
        var now = time.GetUtcNow();
        var nowMinute = now.ToUnixTimeSeconds() / 60;
        return [.. config.Current.Cutovers.Select(cutover =>
        {
            var status = drain.Status(cutover.Name) ?? new DrainStatus { Since = now };
            residual.TryGet(cutover.Name, out var counter);

            // The counter may be a tick ahead of the persisted status (the detector copies it once a second).
            var total = Math.Max(status.ResidualTotal, counter?.Residual ?? 0);
            var last = Later(status.LastResidualAt, counter?.LastResidualAt);
            var agent = counter?.UserAgents.Top(1) is [var top] ? top.Key : null;
            var lastEvent = eventStore.Events(cutover.Name, 1) is [var e] ? e : null;
            return new WaveRow(cutover.Name, cutover.Hosts, status, total, counter?.Minutes.Sum(nowMinute, 60) ?? 0, last,
                eventStore.PendingAlerts(cutover.Name).Count, agent, lastEvent);
        })];
    }

    /// <summary>The header line: how many cutovers, how many in each state, residual and alerts across the wave.</summary>
    public static string Totals(IReadOnlyList<WaveRow> rows)
    {
        var states = DrainStates.All.Select(s => $"{rows.Count(r => r.Status.State == s)} {s.Label()}");
        return $"{rows.Count} cutover(s): {string.Join(", ", states)}; "
            + $"{rows.Sum(r => r.ResidualLastHour)} residual request(s) in the last hour, {rows.Sum(r => r.PendingAlerts)} pending alert(s)";
    }

    /// <summary>The shape <see cref="CutoverReport.ToMarkdown"/> and <see cref="CutoverReport.ToHtml"/> render.</summary>
    public static (string Title, IReadOnlyList<string> Facts, IReadOnlyList<(string Title, string[] Header, IReadOnlyList<string[]> Rows, string? Text)> Sections) Document(IReadOnlyList<WaveRow> rows)
    {
        static string T(DateTimeOffset? at) => CutoverReport.T(at);
        static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
        var table = rows.Select(r => new[]
        {
            r.Name, r.Status.State.Label(), r.Verdict, T(r.Status.DnsSwitchedAt), T(r.Status.PropagationCompleteAt), T(r.Status.QuietSince),
            T(r.Status.DrainedAt), T(r.LastResidualAt), N(r.ResidualTotal), N(r.ResidualLastHour), N(r.PendingAlerts),
            r.TopUserAgent ?? "-", r.LastEvent is { } e ? $"{e.Event} {T(e.At)}: {e.Text}" : "-",
        }).ToList();
        string[] header =
        [
            "cutover", "state", "verdict", "DNS switched", "propagation complete", "quiet since", "drained", "last residual request",
            "residual (all time)", "residual (last 1 h)", "pending alerts", "top residual user agent", "last event",
        ];
        var decommission = rows.Where(r => r.Drained).Select(r => r.Name).ToList();
        return ("DnsBridge wave report",
        [
            Totals(rows),
            decommission.Count == 0 ? "Safe to decommission: none yet." : $"Safe to decommission: {string.Join(", ", decommission)}.",
        ],
        [("Cutovers", header, table, rows.Count == 0 ? "No cutover configured." : null)]);
    }

    public static string ToCsv(IReadOnlyList<WaveRow> rows)
    {
        static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
        var csv = new StringBuilder().AppendRecord(CsvHeader);
        foreach (var r in rows)
        {
            var s = r.Status;
            csv.AppendRecord(r.Name, string.Join(' ', r.Hosts), s.State.Label(), Csv.Time(s.Since), r.Drained ? "yes" : "no", r.Verdict,
                Csv.Time(s.DnsSwitchedAt), Csv.Time(s.PropagationCompleteAt), Csv.Time(s.StaleUntil), Csv.Time(s.QuietSince), Csv.Time(s.DrainedAt),
                Csv.Time(r.LastResidualAt), N(r.ResidualTotal), N(r.ResidualLastHour), N(r.PendingAlerts), r.TopUserAgent,
                r.LastEvent?.Event, Csv.Time(r.LastEvent?.At), r.LastEvent?.Text);
        }

        return csv.ToString();
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
