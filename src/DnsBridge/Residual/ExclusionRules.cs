using System.Net;
using DnsBridge.Configuration;

namespace DnsBridge.Residual;

/// <summary>
/// A cutover's <c>Drain.Exclude</c> rules, compiled once per configuration: requests they match (load balancer
/// health checks, monitors, internal clients) are forwarded but are not residual traffic.
/// </summary>
internal sealed class ExclusionRules
{
    private readonly string[] _exactPaths;
    private readonly string[] _prefixPaths;
    private readonly string[] _userAgentGlobs;
    private readonly IPNetwork[] _clientNetworks;

    public ExclusionRules(ExcludeConfig config)
    {
        // "/healthz" matches /healthz and /healthz/...; "/static/*" is a plain prefix.
        _exactPaths = [.. config.Paths.Where(p => !p.EndsWith('*'))];
        _prefixPaths = [.. config.Paths.Where(p => p.EndsWith('*')).Select(p => p[..^1])];
        _userAgentGlobs = [.. config.UserAgents];
        _clientNetworks = [.. config.ClientCidrs.Select(c => ConfigParsers.TryParseCidr(c, out var n) ? n : throw new ArgumentException($"bad CIDR {c}", nameof(config)))];
        IsEmpty = _exactPaths.Length + _prefixPaths.Length + _userAgentGlobs.Length + _clientNetworks.Length == 0;
    }

    public bool IsEmpty { get; }

    public static readonly IReadOnlyList<string> Reasons = ["path", "user_agent", "client"];

    /// <summary>The reason a request is excluded (<c>path</c>, <c>user_agent</c>, <c>client</c>), or null when it is residual.</summary>
    public string? Match(string? path, string? userAgent, IPAddress? client)
    {
        if (IsEmpty)
        {
            return null;
        }

        // A connection has no path: only the client rule can exclude it.
        if (path is not null && MatchesPath(path))
        {
            return "path";
        }

        if (userAgent is not null)
        {
            foreach (var glob in _userAgentGlobs)
            {
                if (Glob(glob, userAgent))
                {
                    return "user_agent";
                }
            }
        }

        if (client is not null)
        {
            if (client.IsIPv4MappedToIPv6)
            {
                client = client.MapToIPv4();
            }

            foreach (var network in _clientNetworks)
            {
                if (network.Contains(client))
                {
                    return "client";
                }
            }
        }

        return null;
    }

    private bool MatchesPath(string path)
    {
        foreach (var p in _exactPaths)
        {
            if (path.StartsWith(p, StringComparison.Ordinal) && (path.Length == p.Length || path[p.Length] == '/' || p.EndsWith('/')))
            {
                return true;
            }
        }

        foreach (var p in _prefixPaths)
        {
            if (path.StartsWith(p, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Case-insensitive glob with <c>*</c> and <c>?</c>, iterative (no backtracking blow-up on hostile input).</summary>
    public static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
