using System.CommandLine;
using DnsBridge.Configuration;
using DnsBridge.Preflight;

namespace DnsBridge.Cli;

/// <summary><c>dnsbridge preflight</c>: the pre-cutover checklist (exit 0 nothing fails, 1 something fails, 2 bad config or usage).</summary>
public static class PreflightCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<IPreflightDnsChecks?> dns)
    {
        var config = DnsBridgeCommand.ConfigOption(required: true);
        var cutover = new Option<string[]>("--cutover") { Description = "Check only this cutover (repeatable).", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print the checklist as JSON." };
        var markdown = new Option<bool>("--markdown") { Description = "Print the checklist as a Markdown report." };
        var command = new Command("preflight", "The pre-cutover checklist: target reachability, TLS per host, health path, DNS TTL and authoritative agreement, local readiness.")
        {
            config, cutover, json, markdown,
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
            await stdout.WriteAsync(parse.GetValue(json) ? PreflightFormatter.ToJson(report) + "\n"
                : parse.GetValue(markdown) ? PreflightFormatter.ToMarkdown(report)
                : PreflightFormatter.ToText(report));
            return report.Overall == PreflightStatus.Fail ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }
}
