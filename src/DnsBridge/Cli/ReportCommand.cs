using System.CommandLine;
using DnsBridge.Escaping;

namespace DnsBridge.Cli;

/// <summary>
/// <c>dnsbridge report --admin URL</c>: the wave report (or one cutover's report) of a running instance, printed as
/// served (exit 0; 1 unreachable or an HTTP error; 2 usage).
/// </summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        var admin = AdminApi.Option();
        var format = new Option<string>("--format") { Description = "md (default), html or csv (csv: the wave report only).", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "html", "csv");
        var cutover = new Option<string?>("--cutover") { Description = "One cutover's report (timeline, residual per hour, propagation history) instead of the wave report." };
        var command = new Command("report", "Print the wave report of a running instance (every cutover: milestones, residual, verdict), or one cutover's report.")
        {
            admin, format, cutover,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(cutover) is not null && result.GetValue(format) == "csv")
            {
                result.AddError("--format csv is the wave report's; a cutover's report is md or html");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var fmt = parse.GetValue(format)!;
            var name = parse.GetValue(cutover);
            using var api = new AdminApi(parse.GetValue(admin)!, environment(AdminApi.TokenVariable) is { Length: > 0 } t ? t : null);
            var (body, error) = name is null
                ? await api.GetAsync($"api/report?format={fmt}", null, ct)
                : await api.GetAsync($"api/cutovers/{Uri.EscapeDataString(name)}/report", fmt == "html" ? "text/html" : "text/markdown", ct);
            if (error is not null)
            {
                await stderr.WriteLineAsync($"error: {error}");
                return ExitCodes.Failed;
            }

            // As served, but what a terminal would run made visible: the instance may be older, or not a DnsBridge.
            await stdout.WriteAsync(Untrusted.EscapeLines(body!));
            return ExitCodes.Ok;
        });
        return command;
    }
}
