using System.Net;

namespace DnsBridge.Configuration.Validation;

/// <summary>
/// <c>Dns:PreviousNameServers</c> and <c>Dns:ParentNameServers</c> of every cutover. A previous server that is also a
/// current authoritative server is a mistake either way: asked as both, it would hold propagation on its own answer.
/// Host names come back normalised (they are resolved at run time, as DNS servers, not as the cutover's host).
/// </summary>
internal static class DelegationValidator
{
    public static List<CutoverConfig> Validate(IReadOnlyList<CutoverConfig> cutovers, ResolversConfig resolvers, string path, string resolversPath, Action<string, string> error)
    {
        var current = resolvers.AuthoritativeServers
            .Select((raw, i) => (Ok: ConfigParsers.TryParseEndpoint(raw, 53, out var e), EndPoint: e, Path: $"{resolversPath}:{nameof(ResolversConfig.AuthoritativeServers)}:{i}"))
            .Where(c => c.Ok)
            .ToList();
        var result = new List<CutoverConfig>(cutovers.Count);
        for (var i = 0; i < cutovers.Count; i++)
        {
            var dns = cutovers[i].Dns;
            var dnsPath = $"{path}:{i}:{nameof(CutoverConfig.Dns)}";
            var previous = new List<string>(dns.PreviousNameServers.Count);
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var p = 0; p < dns.PreviousNameServers.Count; p++)
            {
                var raw = dns.PreviousNameServers[p];
                var entryPath = $"{dnsPath}:{nameof(DnsExpectationConfig.PreviousNameServers)}:{p}";
                string normalized;
                if (ConfigParsers.TryParseEndpoint(raw, 53, out var endPoint))
                {
                    normalized = endPoint.ToString();
                    if (current.FirstOrDefault(c => c.EndPoint.Equals(endPoint)) is { Ok: true } same)
                    {
                        error(entryPath, $"{normalized} is also a current authoritative server ({same.Path}): a server is either the old provider's or the new one's");
                        continue;
                    }
                }
                else if (ConfigParsers.TryNormalizeHostName(raw, out var host, out _) && !IPAddress.TryParse(raw.Trim(), out _))
                {
                    normalized = host;
                }
                else
                {
                    error(entryPath, $"must be IP, IP:PORT, [IPv6]:PORT or a name server's host name, got '{raw}'");
                    continue;
                }

                if (!seen.Add(normalized))
                {
                    error(entryPath, $"'{normalized}' is listed twice");
                    continue;
                }

                previous.Add(normalized);
            }

            for (var p = 0; p < dns.ParentNameServers.Count; p++)
            {
                if (!ConfigParsers.TryParseEndpoint(dns.ParentNameServers[p], 53, out _))
                {
                    error($"{dnsPath}:{nameof(DnsExpectationConfig.ParentNameServers)}:{p}", $"must be IP, IP:PORT or [IPv6]:PORT, got '{dns.ParentNameServers[p]}'");
                }
            }

            result.Add(cutovers[i] with { Dns = dns with { PreviousNameServers = previous } });
        }

        return result;
    }
}
