using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DnsBridge.Configuration;
using DnsBridge.Escaping;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Delegation;
using DnsClient;

namespace DnsBridge.Cli;

/// <summary>
/// <c>dnsbridge check HOST</c>: one propagation pass across the resolver set, for runbooks and CI pipelines.
/// Exit 0 when every answering resolver gives only expected addresses, 1 when some do not, 2 usage, 3 when no
/// resolver answered.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var host = new Argument<string>("HOST") { Description = "The host name to check." };
        var expect = new Option<string[]>("--expect") { Description = "An address a switched resolver answers with (repeatable). Default: what the zone's authoritative servers answer." };
        var source = new Option<string[]>("--source") { Description = "An address of the source (repeatable): tells 'source' from 'other' answers." };
        var type = new Option<string>("--type") { Description = "A (default) or AAAA.", DefaultValueFactory = _ => "A" };
        type.AcceptOnlyFromAmong("A", "AAAA");
        var resolver = new Option<string[]>("--resolver") { Description = "Ask this resolver (repeatable): IP[:PORT], tls://IP[:PORT]#NAME (DNS over TLS) or https://HOST[:PORT]/PATH (DNS over HTTPS). Default: the built-in worldwide list." };
        var transport = new Option<string>("--transport") { Description = "udp (default), dot or doh: ask the built-in resolvers over DNS over TLS or HTTPS where they offer it.", DefaultValueFactory = _ => ResolverAddress.Udp };
        transport.AcceptOnlyFromAmong(ResolverAddress.Udp, ResolverAddress.Dot, ResolverAddress.Doh);
        var httpProxy = new Option<string?>("--http-proxy") { Description = "Send DNS-over-HTTPS questions through this HTTP proxy, http://HOST:PORT." };
        var caFile = new Option<string?>("--ca-file") { Description = "PEM roots added to the system's for DoT/DoH certificates." };
        var subnets = new Option<string[]>("--client-subnet") { Description = "NAME=CIDR (repeatable): also ask each ECS-capable resolver as if from this subnet (rows RESOLVER@NAME)." };
        var timeout = new Option<string>("--timeout") { Description = "Per-question timeout, hh:mm:ss or seconds (default 2).", DefaultValueFactory = _ => "2" };
        var json = new Option<bool>("--json") { Description = "Print JSON: {host, propagation, resolvers: [{name, resolver, region, transport, pop, clientSubnet, subnetScope, vantage, answer, addresses, ttl, error}], delegation}." };
        var previousNs = new Option<string[]>("--previous-ns") { Description = "A name server of the old DNS provider, IP[:PORT] or host name (repeatable): also asked, with the parent's delegation and its NS TTL." };
        var parentNs = new Option<string[]>("--parent-ns") { Description = "Ask this server of the parent zone for the delegation, IP[:PORT] (repeatable). Default: the parent's NS records." };
        var command = new Command("check", "One propagation check of HOST across the resolver set, as a table (or JSON).")
        {
            host, expect, source, type, resolver, transport, httpProxy, caFile, subnets, timeout, json, previousNs, parentNs,
        };
        var options = new CheckOptions(host, expect, source, type, resolver, transport, httpProxy, caFile, subnets, timeout, json, previousNs, parentNs);
        command.SetAction((parse, ct) => RunAsync(parse, options, stdout, stderr, ct));
        return command;
    }

    /// <summary>The command line, validated: <c>check</c> asks nothing before every argument is known to be good.</summary>
    private sealed record CheckRequest(
        string Host, List<string> Expected, List<string> Sources, string Type, List<ResolverInfo> Resolvers, QuestionOptions Questions,
        List<string> Previous, List<IPEndPoint> Parents, TimeSpan PerQuestion, bool Json);

    private sealed record CheckOptions(
        Argument<string> Host, Option<string[]> Expect, Option<string[]> Source, Option<string> Type, Option<string[]> Resolver,
        Option<string> Transport, Option<string?> HttpProxy, Option<string?> CaFile, Option<string[]> Subnets, Option<string> Timeout,
        Option<bool> Json, Option<string[]> PreviousNs, Option<string[]> ParentNs);

    private static async Task<int> RunAsync(ParseResult parse, CheckOptions o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var (request, problem) = Read(parse, o);
        if (request is null)
        {
            return await UsageAsync(stderr, problem!);
        }

        await using var querier = new DnsQuerier();
        var queryType = request.Type == "AAAA" ? QueryType.AAAA : QueryType.A;
        var expected = request.Expected;
        if (expected.Count == 0)
        {
            (expected, var silent) = await AuthoritativeAnswerAsync(querier, request.Host, queryType, request.Resolvers, request.PerQuestion, ct);
            if (expected.Count == 0)
            {
                return await NoAuthoritativeAnswerAsync(request, silent, stdout, stderr);
            }
        }

        var snapshot = await AskAsync(querier, request, expected, ct);
        await stdout.WriteAsync(request.Json ? ToJson(request.Host, snapshot) : ToTable(request.Host, expected, snapshot) + CheckDelegation.Table(snapshot.Delegation));
        var answering = snapshot.Resolvers.Where(r => r.Answer != ResolverAnswer.Error).ToList();
        return answering.Count == 0 ? ExitCodes.NoAnswer
            : answering.All(r => r.Answer == ResolverAnswer.Target) && snapshot.Delegation?.PreviousAnswersSource != true ? ExitCodes.Ok
            : ExitCodes.Failed;
    }

    private static (CheckRequest? Request, string? Problem) Read(ParseResult parse, CheckOptions o)
    {
        if (!ConfigParsers.TryNormalizeHostName(parse.GetValue(o.Host)!, out var host, out var why))
        {
            return (null, $"HOST: {why}");
        }

        if (!TryAddresses(parse.GetValue(o.Expect), "--expect", out var expected, out var problem) || !TryAddresses(parse.GetValue(o.Source), "--source", out var sources, out problem))
        {
            return (null, problem);
        }

        if (sources.Intersect(expected).FirstOrDefault() is { } both)
        {
            return (null, $"--source {both}: also given as --expect; an address cannot be both the old and the new answer");
        }

        var resolvers = new List<ResolverInfo>();
        foreach (var raw in parse.GetValue(o.Resolver) ?? [])
        {
            if (!ResolverAddress.TryParse(raw, null, out var via, out var viaWhy))
            {
                return (null, $"--resolver {raw}: {viaWhy}");
            }

            resolvers.Add(ResolverInfo.Reached(raw, via, "custom", "custom"));
        }

        if (resolvers.Count == 0)
        {
            resolvers.AddRange(ResolverCatalog.BuiltInOver(parse.GetValue(o.Transport)!));
        }

        var (questions, optionsProblem) = QuestionOptionsFrom(parse.GetValue(o.HttpProxy), parse.GetValue(o.CaFile), parse.GetValue(o.Subnets));
        if (optionsProblem is not null)
        {
            return (null, optionsProblem);
        }

        var (previous, parents, delegationProblem) = DelegationOptions(parse.GetValue(o.PreviousNs), parse.GetValue(o.ParentNs));
        if (delegationProblem is not null)
        {
            return (null, delegationProblem);
        }

        var rawTimeout = parse.GetValue(o.Timeout)!;
        if (!(ConfigParsers.TryParseDuration(rawTimeout, out var perQuestion)
            || (double.TryParse(rawTimeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && (perQuestion = TimeSpan.FromSeconds(seconds)) > TimeSpan.Zero)))
        {
            return (null, $"--timeout {rawTimeout}: must be seconds (2) or hh:mm:ss");
        }

        return (new CheckRequest(host, expected, sources, parse.GetValue(o.Type)!, resolvers, questions, previous, parents, perQuestion, parse.GetValue(o.Json)), null);
    }

    /// <summary>
    /// Nothing answered the NS and authoritative questions (an offline machine, a blocked port 53): 3, like a pass
    /// where no resolver answers, so pipelines can tell "cannot see DNS" from a bad command line.
    /// </summary>
    private static async Task<int> NoAuthoritativeAnswerAsync(CheckRequest request, List<(string Name, IPEndPoint EndPoint, string Error)> silent, TextWriter stdout, TextWriter stderr)
    {
        if (silent.Count > 0)
        {
            // Found but silent: typically a firewall that lets DNS out only to the site's own resolvers. Said on
            // stdout too (table or JSON), as the monitor says it in its API.
            await stdout.WriteAsync(request.Json ? UnreachableJson(request.Host, silent) : UnreachableText(request.Host, silent));
            await stderr.WriteLineAsync($"error: no --expect given and none of the authoritative servers of {request.Host} answered; pass --expect IP to judge on the resolvers alone");
            return ExitCodes.NoAnswer;
        }

        await stderr.WriteLineAsync($"error: no --expect given and the authoritative servers of {request.Host} could not be found; pass --expect IP");
        return ExitCodes.NoAnswer;
    }

    private static async Task<PropagationSnapshot> AskAsync(DnsQuerier querier, CheckRequest request, List<string> expected, CancellationToken ct)
    {
        var classifier = new AnswerClassifier(expected, [], request.Sources);
        using var concurrency = new SemaphoreSlim(32);
        var snapshot = await new PropagationPoller(querier, TimeProvider.System)
            .PollAsync(request.Host, [request.Host], [request.Type], classifier, request.Resolvers, request.PerQuestion, concurrency, ct, request.Questions);
        if (request.Previous.Count == 0)
        {
            return snapshot;
        }

        // A check is one moment: were the record switched now, old delegations could be cached until now + the parent's NS TTL.
        var plain = ResolverInfo.PlainEndPoints(request.Resolvers);
        var current = await querier.FindAuthoritativeAsync(request.Host, plain, request.PerQuestion, ct);
        var delegation = await new DelegationCheck(querier, TimeProvider.System).RunAsync(request.Host, [request.Host], [request.Type], classifier, request.Previous,
            [.. current.Select(c => c.EndPoint)], plain, request.Parents, request.PerQuestion, ct);
        return snapshot.WithDelegation(delegation, snapshot.Switched ? snapshot.At : null);
    }

    private static async Task<int> UsageAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {message}");
        return ExitCodes.Usage;
    }

    /// <summary>The DoH proxy, extra CA roots and client subnets of a check, validated as the configuration keys are.</summary>
    private static (QuestionOptions Options, string? Problem) QuestionOptionsFrom(string? proxy, string? caFile, string[]? subnets)
    {
        var errors = new List<string>();
        var propagation = new PropagationConfig
        {
            HttpProxy = proxy,
            CaFile = caFile,
            ClientSubnets = [.. (subnets ?? []).Select(s => s.Split('=', 2)).Select(p => new ClientSubnetConfig { Name = p[0], Subnet = p.Length == 2 ? p[1] : "" })],
        };
        var validated = Configuration.Validation.PropagationValidator.ValidateTransport(propagation, "", Environment.CurrentDirectory, (path, message) => errors.Add($"{OptionOf(path)}: {message}"));
        return errors.Count > 0 ? (QuestionOptions.None, string.Join("; ", errors)) : (QuestionOptions.From(validated), null);
    }

    private static string OptionOf(string path) =>
        path.StartsWith(":HttpProxy", StringComparison.Ordinal) ? "--http-proxy"
        : path.StartsWith(":CaFile", StringComparison.Ordinal) ? "--ca-file"
        : "--client-subnet";

    private static (List<string> Previous, List<IPEndPoint> Parents, string? Problem) DelegationOptions(string[]? previous, string[]? parents)
    {
        var names = new List<string>();
        foreach (var raw in previous ?? [])
        {
            if (ConfigParsers.TryParseEndpoint(raw, 53, out var endpoint))
            {
                names.Add(endpoint.ToString());
            }
            else if (ConfigParsers.TryNormalizeHostName(raw, out var name, out _) && !IPAddress.TryParse(raw, out _))
            {
                names.Add(name);
            }
            else
            {
                return ([], [], $"--previous-ns {raw}: must be IP, IP:PORT, [IPv6]:PORT or a name server's host name");
            }
        }

        var endpoints = new List<IPEndPoint>();
        foreach (var raw in parents ?? [])
        {
            if (!ConfigParsers.TryParseEndpoint(raw, 53, out var endpoint))
            {
                return ([], [], $"--parent-ns {raw}: must be IP, IP:PORT or [IPv6]:PORT");
            }

            endpoints.Add(endpoint);
        }

        return (names, endpoints, null);
    }

    private static bool TryAddresses(string[]? values, string option, out List<string> addresses, out string problem)
    {
        addresses = [];
        problem = "";
        foreach (var value in values ?? [])
        {
            if (!IPAddress.TryParse(value, out var ip))
            {
                problem = $"{option} {value}: must be an IP address";
                return false;
            }

            addresses.Add(ip.ToString());
        }

        return true;
    }

    /// <summary>What the first answering authoritative server gives; else none, with the servers that were asked and why each failed.</summary>
    private static async Task<(List<string> Expected, List<(string Name, IPEndPoint EndPoint, string Error)> Silent)> AuthoritativeAnswerAsync(
        DnsQuerier querier, string host, QueryType type, List<ResolverInfo> resolvers, TimeSpan timeout, CancellationToken ct)
    {
        var servers = await querier.FindAuthoritativeAsync(host, ResolverInfo.PlainEndPoints(resolvers), timeout, ct);
        var silent = new List<(string, IPEndPoint, string)>();
        foreach (var (name, endpoint) in servers)
        {
            var answer = await querier.QueryAsync(endpoint, host, type, recursion: false, timeout, ct);
            if (answer.Error is null && answer.Addresses.Count > 0)
            {
                return ([.. answer.Addresses], []);
            }

            // A server that answers without an address (NXDOMAIN, NODATA) is heard: only errors make it unreachable.
            if (answer.Error is { } error)
            {
                silent.Add((name, endpoint, error));
            }
        }

        return ([], silent.Count == servers.Count ? silent : []);
    }

    private static string UnreachableJson(string host, List<(string Name, IPEndPoint EndPoint, string Error)> silent) => JsonSerializer.Serialize(
        new CheckUnreachableDocument(host, null, true, [.. silent.Select(s => new CheckServerRow(s.Name, s.EndPoint.ToString(), s.Error))], []),
        CliJsonContext.Default.CheckUnreachableDocument) + "\n";

    private static string UnreachableText(string host, List<(string Name, IPEndPoint EndPoint, string Error)> silent) =>
        $"{host}: none of the authoritative servers answered ({Untrusted.Escape(string.Join(", ", silent.Select(s => $"{s.Name} {s.EndPoint}: {s.Error}")))})\n"
        + "nothing to expect: does a firewall let DNS out only to this site's resolvers? Pass --expect IP to judge on the resolvers alone\n";

    public static string ToJson(string host, PropagationSnapshot snapshot) => JsonSerializer.Serialize(
        new CheckDocument(
            host,
            Math.Round(snapshot.Ratio, 4),
            snapshot.AuthoritativeUnreachable,
            [.. snapshot.Resolvers.Select(r => new CheckResolverRow(new Admin.ResolverRow(r)))],
            Admin.DelegationView.Of(snapshot.Delegation)),
        CliJsonContext.Default.CheckDocument) + "\n";

    public static string ToTable(string host, IReadOnlyList<string> expected, PropagationSnapshot snapshot)
    {
        var header = new[] { "RESOLVER", "ADDRESS", "REGION", "POP", "SUBNET", "ANSWER", "ADDRESSES", "TTL", "LATENCY", "ERROR" };
        // PoPs, CNAME targets and errors are what DNS servers said (names already in presentation format): shown, never run.
        var rows = snapshot.Resolvers
            .OrderBy(r => r.Resolver.Region, StringComparer.Ordinal).ThenBy(r => r.Resolver.Name, StringComparer.Ordinal)
            .Select(r => new[]
            {
                r.Resolver.Name, r.Resolver.Address, r.Resolver.Region, r.Pop ?? "",
                r.Resolver.Subnet is { } subnet ? $"{subnet} scope /{r.SubnetScope?.ToString(CultureInfo.InvariantCulture) ?? "-"}" : r.IgnoresClientSubnet ? "ignored" : "",
                PropagationMetrics.Label(r.Answer),
                string.Join(",", r.Cnames.Select(c => c + " >").Concat(r.Addresses)), r.Ttl?.ToString(CultureInfo.InvariantCulture) ?? "",
                $"{r.Latency.TotalMilliseconds:0} ms", r.Error is null ? r.Detail ?? "" : $"{r.Error}: {r.Detail}",
            }.Select(Untrusted.Escape).ToArray()).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{host}: expecting {string.Join(", ", expected)}");
        foreach (var row in rows.Prepend(header))
        {
            text.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }

        var answering = snapshot.Resolvers.Count(r => r.Answer != ResolverAnswer.Error);
        var onTarget = snapshot.Resolvers.Count(r => r.Answer == ResolverAnswer.Target);
        text.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"propagation: {snapshot.Ratio:P0} ({onTarget} of {answering} answering resolvers give the target; {snapshot.Resolvers.Count - answering} did not answer)");
        text.AppendLine(answering == 0
            ? "no resolver answered: nothing can be said about propagation (check that this machine can reach them, UDP and TCP)"
            : snapshot.StaleUntil is null
            ? "no resolver answers with a stale address"
            : $"old answers expire in at most {Format(TimeSpan.FromSeconds(Math.Ceiling(snapshot.EtaSeconds)))} "
                + (snapshot.Delegation?.PreviousAnswersSource == true ? "(the parent's NS TTL: old delegations lead to previous servers still on the source)" : "(largest remaining TTL among stale resolvers)"));
        return text.ToString();
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.Seconds}s";
}
