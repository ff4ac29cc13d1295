using System.Net;

namespace DnsBridge.Configuration.Validation;

/// <summary>
/// Connection forwarding across sections: the passthrough listener and every port forward must each own their
/// endpoint (no two forwards on one <c>Listen</c>, none on another listener's), passthrough cutovers need the
/// passthrough listener, and a PROXY header toward the target needs a connection to send it on.
/// </summary>
internal static class ConnectionValidator
{
    public static void Validate(ListenConfig listen, IReadOnlyList<CutoverConfig> cutovers, string listenPath, string cutoversPath, Action<string, string> error)
    {
        var taken = new List<(IPEndPoint EndPoint, string Path)>();
        AddUrl(listen.Proxy, $"{listenPath}:{nameof(ListenConfig.Proxy)}", "http");
        AddUrl(listen.Admin, $"{listenPath}:{nameof(ListenConfig.Admin)}", "http");
        if (listen.ProxyHttps is not null)
        {
            AddUrl(listen.ProxyHttps, $"{listenPath}:{nameof(ListenConfig.ProxyHttps)}", "https");
        }

        if (listen.Passthrough is not null)
        {
            if (!ConfigParsers.TryParseListenEndPoint(listen.Passthrough, allowAnyPort: true, out var passthrough, out var why))
            {
                error($"{listenPath}:{nameof(ListenConfig.Passthrough)}", why);
            }
            else
            {
                Claim(passthrough, $"{listenPath}:{nameof(ListenConfig.Passthrough)}");
            }
        }

        for (var i = 0; i < cutovers.Count; i++)
        {
            var cutover = cutovers[i];
            var path = $"{cutoversPath}:{i}";
            var target = cutover.Target;
            if (target.IsPassthrough && listen.Passthrough is null)
            {
                error($"{path}:{nameof(CutoverConfig.Target)}:{nameof(TargetConfig.Scheme)}", "tls (passthrough) needs Listen:Passthrough, the listener that routes by SNI");
            }

            if (target.Scheme == TargetConfig.SchemeTcp && cutover.Ports.Count == 0)
            {
                error($"{path}:{nameof(CutoverConfig.Ports)}", "at least one port forward is required with Target.Scheme tcp (nothing would be forwarded)");
            }

            if (target.ProxyProtocol != ProxyProtocolVersions.None && !target.IsConnectionOnly && cutover.Ports.Count == 0)
            {
                error($"{path}:{nameof(CutoverConfig.Target)}:{nameof(TargetConfig.ProxyProtocol)}", "applies to connection forwarding only (Target.Scheme tls, or Ports)");
            }

            for (var p = 0; p < cutover.Ports.Count; p++)
            {
                var forward = cutover.Ports[p];
                var portPath = $"{path}:{nameof(CutoverConfig.Ports)}:{p}";
                if (!ConfigParsers.TryParseListenEndPoint(forward.Listen, allowAnyPort: false, out var endpoint, out var why))
                {
                    error($"{portPath}:{nameof(PortForwardConfig.Listen)}", why);
                }
                else
                {
                    Claim(endpoint, $"{portPath}:{nameof(PortForwardConfig.Listen)}");
                }

                if (forward.Target is < 1 or > 65535)
                {
                    error($"{portPath}:{nameof(PortForwardConfig.Target)}", $"must be a port 1-65535, got {forward.Target}");
                }
            }
        }

        void AddUrl(string url, string path, string scheme)
        {
            // Malformed URLs are reported by ListenValidator.
            if (ConfigParsers.TryParseListenUrl(url, out var endpoint, out _, scheme))
            {
                taken.Add((endpoint!, path));
            }
        }

        void Claim(IPEndPoint endpoint, string path)
        {
            var owner = taken.FirstOrDefault(t => ConfigParsers.Overlaps(t.EndPoint, endpoint));
            if (owner.Path is not null)
            {
                error(path, $"{endpoint} is already taken by {owner.Path}: one listener per address and port");
                return;
            }

            taken.Add((endpoint, path));
        }
    }
}
