using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Mirror;

namespace DnsBridge.Admin;

/// <summary>
/// "Target readiness": the mirrored comparison of a cutover, for <c>GET /api/cutovers/{name}/readiness</c> and the
/// cutover report's section.
/// </summary>
internal static class MirrorReadinessReport
{
    /// <summary>Null for an unknown cutover; an empty report for one that mirrors nothing (off, or connections only).</summary>
    public static MirrorReport? For(string name, DnsBridgeConfig config, ClusterMirror mirrors)
    {
        var cutover = config.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
        if (cutover is null)
        {
            return null;
        }

        return mirrors.Report(cutover.Name) ?? new MirrorResults(TimeProvider.System).Snapshot(cutover.Name);
    }

    public const string Title = "Target readiness (mirrored rehearsal traffic)";

    public static readonly string[] Header =
        ["path group", "copies", "status match", "body match", "target errors", "p99 source / target (ms)", "differences"];

    /// <summary>The report section: one row per path group, the differences named.</summary>
    public static (string Title, string[] Header, IReadOnlyList<string[]> Rows, string? Text) Section(MirrorReport report, MirrorConfig mirror)
    {
        if (report.Copies == 0)
        {
            var why = mirror.Enabled
                ? $"Nothing mirrored yet (Mirror.Share {Number(mirror.Share)}; copies are made in rehearsal only). {report.Dropped} copie(s) dropped."
                : "Mirroring is off (Mirror.Share is 0).";
            return (Title, Header, [], why);
        }

        var rows = new List<string[]>
        {
            new[]
            {
                "(all)", N(report.Copies), Percent(report.StatusMatchRatio), N(report.Copies - report.StatusMismatches - report.TargetErrors - report.BodyMismatches), N(report.TargetErrors),
                $"{Ms(report.SourceP99Ms)} / {Ms(report.TargetP99Ms)}",
                $"{N(report.Dropped)} dropped, {N(report.NoiseSamples)} noise sample(s)",
            },
        };
        foreach (var g in report.Groups)
        {
            var differences = g.StatusMismatches.Select(p => $"status {p.Source} → {p.Target} ×{p.Copies}")
                .Concat(g.DifferingFields.Take(5).Select(f => $"{f.Field} ×{f.Copies}"))
                .ToList();
            rows.Add(
            [
                g.Group, N(g.Copies), Percent(g.StatusMatchRatio), $"{N(g.BodyMatches)}/{N(g.BodiesCompared)}", N(g.TargetErrors),
                $"{Ms(g.SourceP99Ms)} / {Ms(g.TargetP99Ms)}",
                differences.Count == 0 ? "-" : string.Join("; ", differences),
            ]);
        }

        return (Title, Header, rows, null);
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Number(double d) => d.ToString(CultureInfo.InvariantCulture);

    private static string Percent(double? ratio) => ratio is { } r ? (r * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %" : "-";

    private static string Ms(double? ms) => ms is { } m ? m.ToString("0.#", CultureInfo.InvariantCulture) : "-";
}
