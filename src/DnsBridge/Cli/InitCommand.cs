using System.CommandLine;
using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Propagation;
using Spectre.Console;

namespace DnsBridge.Cli;

/// <summary>
/// <c>dnsbridge init</c>: from "a domain, its new IP" to a config <c>validate</c> accepts. Today's answers become the
/// source addresses; what DNS cannot tell (no network, a record already on the target) is said, and the file is
/// written with what is known. Missing flags are asked for on a terminal, and a usage error otherwise.
/// </summary>
internal static class InitCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <param name="interactive">Whether a person is at a terminal to answer prompts (never when input is redirected).</param>
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<bool> interactive)
    {
        var host = new Option<string[]>("--host") { Description = "A host name to move (repeatable); the first one names the cutover." };
        var target = new Option<string?>("--target") { Description = "The target's address, IP[:PORT] (its load balancer's EIP; port 443 with --https, else 80)." };
        var https = new Option<bool>("--https") { Description = "The target serves HTTPS (the certificate is validated for each host name)." };
        var resolver = new Option<string?>("--resolver") { Description = "Ask this resolver, IP[:PORT], instead of the system's (it is then watched too)." };
        var sourceBackend = new Option<string?>("--source-backend")
        {
            Description = "The old application as DnsBridge reaches it at the source, [http://|https://]IP[:PORT]: the cutover starts in rehearsal (served by it, a share copied to the target) and switches when you say.",
        };
        var output = new Option<string>("--output", "-o") { Description = "The file to write.", DefaultValueFactory = _ => "dnsbridge.json" };
        var force = new Option<bool>("--force") { Description = "Overwrite the file (and the schema beside it) if it exists." };
        var command = new Command("init", "Write a first configuration from a few answers: the host names, the target, and today's DNS answers as the source.")
        {
            host, target, https, resolver, sourceBackend, output, force,
        };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(output)!;
            if (File.Exists(file) && !parse.GetValue(force))
            {
                return await UsageAsync(stderr, $"{file} exists; pass --force to overwrite it, or -o another file");
            }

            var hosts = parse.GetValue(host) ?? [];
            var rawTarget = parse.GetValue(target);
            var isHttps = parse.GetValue(https);
            if (hosts.Length == 0 || rawTarget is null)
            {
                if (!interactive())
                {
                    return await UsageAsync(stderr, (hosts.Length == 0 ? "--host" : "--target")
                        + " is required (input is not a terminal, so nothing is asked); for example: dnsbridge init --host shop.example.com --target 203.0.113.10 --https");
                }

                if (hosts.Length == 0)
                {
                    hosts = [.. (await new TextPrompt<string>("Host name(s) to move, comma-separated:").ShowAsync(AnsiConsole.Console, ct))
                        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                }

                rawTarget ??= await new TextPrompt<string>("The target's address (IP[:PORT], its load balancer's EIP):").ShowAsync(AnsiConsole.Console, ct);
                if (parse.GetResult(https) is null)
                {
                    isHttps = await new ConfirmationPrompt("Does the target serve HTTPS?").ShowAsync(AnsiConsole.Console, ct);
                }
            }

            var (answers, problem) = Check(hosts, rawTarget, isHttps, parse.GetValue(resolver), parse.GetValue(sourceBackend));
            if (answers is null)
            {
                return await UsageAsync(stderr, problem!);
            }

            var resolvers = answers.Resolver is { } chosen ? [chosen] : InitLookup.SystemResolvers();
            await stdout.WriteLineAsync(resolvers.Count == 0
                ? "no resolver to ask (none in the system's configuration): the source addresses stay empty"
                : $"asking {string.Join(", ", resolvers)} ({(answers.Resolver is null ? "the system's resolver" : "--resolver")}) about {string.Join(", ", answers.Hosts)}");
            await using var querier = new DnsQuerier();
            var findings = await InitLookup.RunAsync(querier, resolvers, answers.Hosts, Timeout, ct);
            var sources = await ReportAsync(stdout, answers, findings);

            await File.WriteAllTextAsync(file, InitConfigFile.Json(answers, sources), ct);
            var (_, errors) = ConfigLoader.Load(file);
            if (errors.Count > 0)
            {
                // Only a bug of init gets here: say so rather than leave a file validate would refuse unexplained.
                await DnsBridgeCommand.PrintErrorsAsync(stderr, file, errors);
                return ExitCodes.Failed;
            }

            await stdout.WriteLineAsync($"wrote {file}: cutover {InitConfigFile.CutoverName(answers.Hosts[0])}, {(answers.Https ? "https" : "http")}://{answers.Target}, "
                + (sources.Count == 0 ? "no source address (fill in Cutovers:0:SourceAddresses)" : $"source {string.Join(", ", sources)}"));
            if (answers.SourceBackend is { } backend)
            {
                await stdout.WriteLineAsync($"  it starts in rehearsal: served by {(answers.SourceBackendHttps ? "https" : "http")}://{backend}, "
                    + $"{InitConfigFile.RehearsalShare:P0} of GET, HEAD and OPTIONS copied to the target and compared (Target readiness on the status page)");
            }

            await stdout.WriteLineAsync(await WriteSchemaAsync(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, InitConfigFile.SchemaFileName), parse.GetValue(force), ct));
            await stdout.WriteLineAsync();
            await stdout.WriteLineAsync("next:");
            var quoted = file.Contains(' ', StringComparison.Ordinal) ? $"\"{file}\"" : file;
            await stdout.WriteLineAsync($"  dnsbridge validate --config {quoted}     # every problem with its key path");
            await stdout.WriteLineAsync($"  dnsbridge preflight --config {quoted}    # the day before the switch: target, TLS, DNS, TTL");
            if (answers.SourceBackend is null)
            {
                await stdout.WriteLineAsync($"  dnsbridge serve --config {quoted}        # point the source load balancer at {new ListenConfig().Proxy}");
                return ExitCodes.Ok;
            }

            // Phase changes are refused without an admin token; it comes from the environment, never from the file.
            var name = InitConfigFile.CutoverName(answers.Hosts[0]);
            var admin = new ListenConfig().Admin;
            await stdout.WriteLineAsync("  export DNSBRIDGE_ADMIN_TOKEN=$(openssl rand -hex 16)   # phase changes need the admin token");
            await stdout.WriteLineAsync($"  DNSBRIDGE__Listen__AdminToken=$DNSBRIDGE_ADMIN_TOKEN dnsbridge serve --config {quoted}");
            await stdout.WriteLineAsync($"  dnsbridge freeze {name} --admin {admin}     # then run the final data sync");
            await stdout.WriteLineAsync($"  dnsbridge switch {name} --admin {admin}     # and flip DNS; rollback goes back to the source backend");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static (InitAnswers? Answers, string? Problem) Check(string[] rawHosts, string rawTarget, bool https, string? rawResolver, string? rawSourceBackend)
    {
        var hosts = new List<string>();
        foreach (var raw in rawHosts)
        {
            if (!ConfigParsers.TryNormalizeHostName(raw, out var normalized, out var why))
            {
                return (null, $"--host {raw}: {why}");
            }

            if (!hosts.Contains(normalized))
            {
                hosts.Add(normalized);
            }
        }

        if (hosts.Count == 0)
        {
            return (null, "--host: at least one host name is required");
        }

        if (!ConfigParsers.TryParseEndpoint(rawTarget.Trim(), https ? 443 : 80, out var targetEndPoint))
        {
            return (null, $"--target {rawTarget}: must be IP or IP:PORT ([IPv6]:PORT); a name is never resolved, since during propagation DNS may send the forwarder back to the source");
        }

        IPEndPoint? resolverEndPoint = null;
        if (rawResolver is not null && !ConfigParsers.TryParseEndpoint(rawResolver.Trim(), 53, out resolverEndPoint))
        {
            return (null, $"--resolver {rawResolver}: must be IP or IP:PORT ([IPv6]:PORT)");
        }

        IPEndPoint? sourceBackend = null;
        var sourceBackendHttps = false;
        if (rawSourceBackend is not null)
        {
            var value = rawSourceBackend.Trim();
            sourceBackendHttps = value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            var address = sourceBackendHttps ? value["https://".Length..]
                : value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? value["http://".Length..] : value;
            if (!ConfigParsers.TryParseEndpoint(address.TrimEnd('/'), sourceBackendHttps ? 443 : 80, out var parsed))
            {
                return (null, $"--source-backend {rawSourceBackend}: must be [http://|https://]IP[:PORT] (plain http and port 80 unless said); a name is never resolved");
            }

            if (parsed.Equals(targetEndPoint))
            {
                return (null, $"--source-backend {rawSourceBackend}: is the target itself; it is the old application, as DnsBridge reaches it at the source");
            }

            sourceBackend = parsed;
        }

        return (new InitAnswers(hosts, targetEndPoint, https, resolverEndPoint, sourceBackend, sourceBackendHttps), null);
    }

    /// <summary>Prints what DNS said and returns the source addresses: today's answers that are not the target.</summary>
    private static async Task<List<string>> ReportAsync(TextWriter stdout, InitAnswers answers, InitFindings findings)
    {
        var target = answers.Target.Address.ToString();
        var sources = new List<string>();
        var width = findings.Answers.Select(a => a.Host.Length).DefaultIfEmpty(0).Max();
        foreach (var answer in findings.Answers)
        {
            var line = answer.Addresses.Count > 0
                ? string.Join(", ", answer.Addresses)
                : $"no address found ({answer.Problem ?? "no answer"})";
            if (answer.Addresses.Contains(target))
            {
                line += $"  (already the target {target}: has the switch happened? only the other addresses count as the source)";
            }

            await stdout.WriteLineAsync($"  {answer.Host.PadRight(width)}  {line}");
            sources.AddRange(answer.Addresses.Where(a => a != target && !sources.Contains(a)));
        }

        if (findings.NameServers.Count == 0)
        {
            await stdout.WriteLineAsync($"  the zone's name servers: not found (DnsBridge looks them up again when it runs; for a private zone list them in Resolvers:AuthoritativeServers)");
        }
        else
        {
            await stdout.WriteLineAsync($"  the zone's name servers: {string.Join(", ", findings.NameServers.Select(n => $"{n.Name} ({string.Join(", ", n.Addresses)})"))}");
            await stdout.WriteLineAsync("  (not written: DnsBridge finds them by itself; if this cutover also moves the zone to another DNS provider, list these in Cutovers:0:Dns:PreviousNameServers)");
        }

        return sources;
    }

    /// <summary>The schema beside the config, so an editor validates and completes it offline; an edited one is kept.</summary>
    private static async Task<string> WriteSchemaAsync(string path, bool force, CancellationToken ct)
    {
        await using var resource = typeof(InitCommand).Assembly.GetManifestResourceStream("DnsBridge." + InitConfigFile.SchemaFileName)!;
        using var reader = new StreamReader(resource);
        var schema = await reader.ReadToEndAsync(ct);
        if (File.Exists(path) && !force)
        {
            return await File.ReadAllTextAsync(path, ct) == schema
                ? $"{InitConfigFile.SchemaFileName} is there already (editors validate and complete the config with it)"
                : $"kept {InitConfigFile.SchemaFileName}, which differs from this version's (pass --force to replace it)";
        }

        await File.WriteAllTextAsync(path, schema, ct);
        return $"wrote {InitConfigFile.SchemaFileName} beside it: editors validate and complete the config with it";
    }

    private static async Task<int> UsageAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {message}");
        return ExitCodes.Usage;
    }
}
