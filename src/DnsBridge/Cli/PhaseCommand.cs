using System.CommandLine;
using System.Text.Json;
using DnsBridge.Escaping;

namespace DnsBridge.Cli;

/// <summary>
/// <c>dnsbridge rehearse|freeze|switch|rollback NAME --admin URL [--force]</c>: changes a cutover's phase on a running
/// instance through <c>POST /api/cutovers/{name}/phase</c> (token from <c>DNSBRIDGE_ADMIN_TOKEN</c>). Exit 0 changed;
/// 1 refused (409: not allowed from the current phase, or the readiness gate), unreachable, 401/403 or 503; 2 usage,
/// 400 (no SourceBackend) or 404 (no such cutover).
/// </summary>
internal static class PhaseCommand
{
    private static readonly (string Verb, string Phase, string Description)[] Verbs =
    [
        ("rehearse", "rehearsal", "Send a cutover's requests and connections to its SourceBackend (before the switch; again after a rollback)."),
        ("freeze", "frozen", "Hold a cutover's requests (up to Freeze.Hold) while the final data sync runs; nothing reaches either side."),
        ("switch", "switched", "Send a cutover's requests and connections to the target, releasing held ones (refused below Switch.Require unless --force)."),
        ("rollback", "rolled_back", "Send a cutover's requests and connections to its SourceBackend again; drain detection pauses."),
    ];

    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        foreach (var (verb, phase, description) in Verbs)
        {
            var name = new Argument<string>("NAME") { Description = "The cutover (its Name in the config)." };
            var admin = AdminApi.Option();
            var force = new Option<bool>("--force") { Description = "Switch even though the readiness gate (Switch.Require) refuses; the event records it." };
            var command = new Command(verb, description) { name, admin, force };
            command.SetAction(async (parse, ct) =>
            {
                var cutover = parse.GetValue(name)!;
                using var api = new AdminApi(parse.GetValue(admin)!, environment(AdminApi.TokenVariable) is { Length: > 0 } t ? t : null);
                var body = JsonSerializer.Serialize(new PhaseRequestBody(phase, parse.GetValue(force), "cli"), CliJsonContext.Default.PhaseRequestBody);
                var (status, answer, error) = await api.PostJsonAsync($"api/cutovers/{Uri.EscapeDataString(cutover)}/phase", body, ct);
                if (error is not null)
                {
                    await stderr.WriteLineAsync($"error: {error}");
                    return ExitCodes.Failed;
                }

                var message = MessageOf(answer);
                if (status == 200)
                {
                    await stdout.WriteLineAsync(Untrusted.Escape(message));
                    return ExitCodes.Ok;
                }

                await stderr.WriteLineAsync($"error: {verb} {Untrusted.Escape(cutover)}: {status} {Untrusted.Escape(message)}"
                    + (status == 401 ? $" (check {AdminApi.TokenVariable})" : ""));
                return status is 400 or 404 ? ExitCodes.Usage : ExitCodes.Failed;
            });
            yield return command;
        }
    }

    /// <summary>The answer's message (or error), else its first line: the server's words, escaped before printing.</summary>
    private static string MessageOf(string answer)
    {
        try
        {
            using var json = JsonDocument.Parse(answer);
            foreach (var key in new[] { "message", "error" })
            {
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return value.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
        }

        return answer.Split('\n', 2)[0].Trim();
    }
}

/// <summary>The JSON the phase verbs POST.</summary>
internal sealed record PhaseRequestBody(string Phase, bool Force, string By);
