using System.CommandLine;
using DnsBridge.Alerts;
using DnsBridge.Configuration;
using DnsBridge.Preflight;
using DnsBridge.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace DnsBridge.Cli;

/// <summary><c>dnsbridge preflight</c>: the pre-cutover checklist (exit 0 nothing fails, 1 something fails, 2 bad config or usage).</summary>
internal static class PreflightCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<IPreflightDnsChecks?> dns)
    {
        var config = DnsBridgeCommand.ConfigOption(required: true);
        var cutover = new Option<string[]>("--cutover") { Description = "Check only this cutover (repeatable).", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print the checklist as JSON." };
        var markdown = new Option<bool>("--markdown") { Description = "Print the checklist as a Markdown report." };
        var testAlert = new Option<bool>("--send-test-alert") { Description = "Post a clearly marked test event to every webhook through the state store's outbox and report each receiver's answer." };
        var command = new Command("preflight", "The pre-cutover checklist: target reachability, TLS per host, health path, DNS TTL and authoritative agreement, local readiness.")
        {
            config, cutover, json, markdown, testAlert,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(json) && result.GetValue(markdown))
            {
                result.AddError("--json and --markdown cannot be combined");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config);
            var (loaded, errors) = ConfigLoader.Load(file);
            if (errors.Count > 0)
            {
                await DnsBridgeCommand.PrintErrorsAsync(stderr, file, errors);
                return ExitCodes.Usage;
            }

            var names = parse.GetValue(cutover) ?? [];
            var unknown = names.Where(n => !loaded.Cutovers.Any(c => string.Equals(c.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
            if (unknown.Count > 0)
            {
                await stderr.WriteLineAsync($"error: --cutover {string.Join(", ", unknown)}: no such cutover (configured: {string.Join(", ", loaded.Cutovers.Select(c => c.Name))})");
                return ExitCodes.Usage;
            }

            var report = await new PreflightRunner(TimeProvider.System, dns()).RunAsync(loaded, names, includeLocal: true, ct);
            if (parse.GetValue(testAlert))
            {
                report = report with { Results = [.. report.Results, .. await SendTestAlertAsync(loaded, names.Length > 0 ? names[0] : loaded.Cutovers[0].Name, ct)] };
            }

            await stdout.WriteAsync(parse.GetValue(json) ? PreflightFormatter.ToJson(report) + "\n"
                : parse.GetValue(markdown) ? PreflightFormatter.ToMarkdown(report)
                : PreflightFormatter.ToText(report));
            return report.Overall == PreflightStatus.Fail ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One row per receiver (each webhook, and email): the test event went through the real outbox and this is what the receiver said.</summary>
    private static async Task<IReadOnlyList<PreflightResult>> SendTestAlertAsync(DnsBridgeConfig config, string cutover, CancellationToken ct)
    {
        // With no receiver the local rows already warn about it; there is nothing to send.
        if (!config.Alerts.Receivers.Any())
        {
            return [];
        }

        StateStores stores;
        try
        {
            stores = StateStores.Open(config.State, NullLoggerFactory.Instance);
        }
        catch (StateStoreException e)
        {
            return [new PreflightResult("-", "local", "test alert", null, PreflightStatus.Fail, $"not sent: {e.Message}", "fix State.Path first: alerts go through the store's outbox")];
        }

        using (stores)
        using (var dispatcher = new OutboxDispatcher(stores.Events, stores.Database, () => config, Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()),
            TimeProvider.System, NullLogger<OutboxDispatcher>.Instance, WebhookHandler.Create()))
        {
            IReadOnlyList<OutboxRow> rows;
            try
            {
                rows = await dispatcher.SendTestAlertAsync(cutover, ct);
            }
            catch (StateStoreException e)
            {
                return [new PreflightResult("-", "local", "test alert", null, PreflightStatus.Fail, $"not sent: {e.Message}", "fix State.Path first: alerts go through the store's outbox")];
            }

            // Rows name their receiver; the checklist shows it with its URL as every output shows webhooks.
            string Shown(string receiver) =>
                receiver == EmailConfig.ReceiverName && config.Alerts.Email is { } email ? $"{receiver}: {email.Display}"
                : OutboxDispatcher.Resolve(config.Alerts, receiver) is { } w ? $"{w.Name} ({w.Format}): {WebhookDisplay.Of(w.Url)}"
                : WebhookDisplay.Receiver(receiver);
            List<PreflightResult> results = [.. rows.Select(r => r.DeliveredAt is not null
                ? new PreflightResult("-", "local", "test alert", Shown(r.Receiver), PreflightStatus.Pass,
                    "delivered: the receiver accepted a test_alert event (marked TEST in its text)", null)
                : new PreflightResult("-", "local", "test alert", Shown(r.Receiver), PreflightStatus.Fail,
                    $"not delivered: {r.LastError}", "check the URL, its Headers (tokens), Secret, Format (or the Email settings) and that this machine may reach the receiver: real alerts would fail the same way"))];
            if (dispatcher.UnrecordedOutcomes > 0)
            {
                results.Add(new PreflightResult("-", "local", "test alert", null, PreflightStatus.Warn,
                    $"the outcome could not be written to the state store {stores.Database.Location}: {stores.Database.Problem()}",
                    "a serve on this store may send the test alert again; check that nothing else holds the database"));
            }

            return results;
        }
    }
}
