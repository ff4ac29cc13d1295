using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>The repository the tests run from, and running its tools (promtool, yamllint ...) as processes.</summary>
internal static partial class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>DESIGN.md's metric names and the README's additions: dashboards and rules may use no other.</summary>
    public static readonly IReadOnlySet<string> ContractMetrics = new HashSet<string>(StringComparer.Ordinal)
    {
        "dnsbridge_forwarded_requests_total", "dnsbridge_forward_duration_seconds", "dnsbridge_target_errors_total",
        "dnsbridge_rejected_requests_total", "dnsbridge_residual_requests_total", "dnsbridge_residual_connections_total", "dnsbridge_excluded_requests_total",
        "dnsbridge_residual_last_request_timestamp_seconds", "dnsbridge_dns_resolver_answer", "dnsbridge_dns_answer_ttl_seconds",
        "dnsbridge_dns_propagation_ratio", "dnsbridge_dns_propagation_eta_seconds", "dnsbridge_dns_query_duration_seconds",
        "dnsbridge_dns_query_failures_total", "dnsbridge_drain_state", "dnsbridge_alerts_sent_total",
        "dnsbridge_nudged_connections_total", "dnsbridge_config_reloads_total", "dnsbridge_open_connections", "dnsbridge_forwarded_bytes_total",
        "dnsbridge_rejected_connections_total", "dnsbridge_cluster_leader", "dnsbridge_cluster_replicas",

        // Added to the contract in the README (DESIGN.md is not ours to edit): the insecure-target flag, the store's
        // health, its dropped log events, the authoritative servers' agreement and their silence, and the alert
        // outbox's backlog (DESIGN.md's alert channels name dnsbridge_alerts_pending).
        "dnsbridge_target_certificate_unvalidated", "dnsbridge_state_store_failing", "dnsbridge_log_events_dropped_total",
        "dnsbridge_dns_authoritative_disagreement", "dnsbridge_dns_authoritative_unreachable",
        "dnsbridge_alerts_pending", "dnsbridge_alerts_oldest_pending_age_seconds",

        // DESIGN.md "Cutover phases": the phase, held requests and the mirrored comparison of rehearsal traffic.
        "dnsbridge_cutover_phase", "dnsbridge_held_requests_total", "dnsbridge_mirror_requests_total", "dnsbridge_mirror_duration_seconds",
    };

    /// <summary>Metric names used in a PromQL text, histogram suffixes folded into their family.</summary>
    public static IEnumerable<string> MetricsIn(string promql) =>
        MetricName().Matches(promql).Select(m => HistogramSuffix().Replace(m.Value, ""));

    public static async Task<(int Code, string Output)> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DnsBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (DnsBridge.sln) not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("dnsbridge_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
