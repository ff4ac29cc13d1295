namespace DnsBridge.Configuration.Validation;

internal static class PropagationValidator
{
    public static PropagationConfig Validate(PropagationConfig p, string path, string baseDirectory, Action<string, string> error)
    {
        if (p.Interval < TimeSpan.FromSeconds(1))
        {
            error($"{path}:{nameof(PropagationConfig.Interval)}", "must be at least 00:00:01");
        }

        if (p.Timeout <= TimeSpan.Zero)
        {
            error($"{path}:{nameof(PropagationConfig.Timeout)}", "must be longer than 00:00:00");
        }
        else if (p.Timeout >= p.Interval)
        {
            error($"{path}:{nameof(PropagationConfig.Timeout)}", $"must be shorter than Propagation:Interval ({p.Interval:c})");
        }

        if (p.Concurrency is < 1 or > 1024)
        {
            error($"{path}:{nameof(PropagationConfig.Concurrency)}", $"must be 1-1024, got {p.Concurrency}");
        }

        if (p.MaxQuestionsPerSecondPerResolver < 1)
        {
            error($"{path}:{nameof(PropagationConfig.MaxQuestionsPerSecondPerResolver)}", $"must be a positive integer (questions a second to one resolver), got {p.MaxQuestionsPerSecondPerResolver}");
        }

        if (p.Transport is not (ResolverAddress.Udp or ResolverAddress.Dot or ResolverAddress.Doh))
        {
            error($"{path}:{nameof(PropagationConfig.Transport)}", $"must be 'udp', 'dot' or 'doh', got '{p.Transport}'");
        }

        ValidateVantages(p.Vantages, $"{path}:{nameof(PropagationConfig.Vantages)}", error);
        return ValidateTransport(p, path, baseDirectory, error);
    }

    /// <summary>
    /// Names unique and not <c>local</c>; an http(s) admin URL, https unless the vantage is on loopback (the bearer
    /// token is in every request); a token unless it is on loopback. A URL is never echoed whole: its user info and
    /// query may hold credentials.
    /// </summary>
    private static void ValidateVantages(IReadOnlyList<VantageConfig> vantages, string path, Action<string, string> error)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < vantages.Count; i++)
        {
            var vantage = vantages[i];
            var at = $"{path}:{i}";
            if (string.IsNullOrWhiteSpace(vantage.Name) || !vantage.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                error($"{at}:{nameof(VantageConfig.Name)}", $"is required: letters, digits, '-', '_' or '.' (it labels the vantage's rows), got '{vantage.Name}'");
            }
            else if (string.Equals(vantage.Name, "local", StringComparison.OrdinalIgnoreCase))
            {
                error($"{at}:{nameof(VantageConfig.Name)}", "'local' names this instance's own rows: choose another name");
            }
            else if (!names.Add(vantage.Name))
            {
                error($"{at}:{nameof(VantageConfig.Name)}", $"duplicate vantage name '{vantage.Name}'");
            }

            if (string.IsNullOrWhiteSpace(vantage.Url))
            {
                error($"{at}:{nameof(VantageConfig.Url)}", "is required: the remote DnsBridge's admin URL, e.g. https://dnsbridge-cn.example.net:8081");
            }
            else if (!Uri.TryCreate(vantage.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
            {
                error($"{at}:{nameof(VantageConfig.Url)}", $"must be an http:// or https:// URL without query or user info, got '{UrlRedaction.Of(vantage.Url)}'");
            }
            else if (uri.Scheme != Uri.UriSchemeHttps && !IsLoopback(uri))
            {
                error($"{at}:{nameof(VantageConfig.Url)}", $"must be https:// for a vantage that is not on loopback ({uri.Host}): the token would cross the network in clear text; publish the remote's admin API through a TLS terminator");
            }
            else if (vantage.Token is null && !IsLoopback(uri))
            {
                error($"{at}:{nameof(VantageConfig.Token)}", $"is required for a vantage that is not on loopback ({uri.Host}): set it to that instance's Listen:AdminToken");
            }
        }
    }

    // On this host by construction: an IP literal in 127.0.0.0/8 or ::1, or the name localhost (never resolved here).
    private static bool IsLoopback(Uri uri) =>
        string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>The keys <c>check</c> also takes as options: HttpProxy, CaFile, ClientSubnets.</summary>
    public static PropagationConfig ValidateTransport(PropagationConfig p, string path, string baseDirectory, Action<string, string> error)
    {
        if (p.HttpProxy is { } proxy && (!Uri.TryCreate(proxy, UriKind.Absolute, out var proxyUri) || proxyUri.Scheme != Uri.UriSchemeHttp
            || proxyUri.AbsolutePath != "/" || proxyUri.Query.Length > 0))
        {
            error($"{path}:{nameof(PropagationConfig.HttpProxy)}", $"must be http://HOST:PORT (an HTTP proxy that tunnels with CONNECT), got '{UrlRedaction.Of(proxy)}'");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < p.ClientSubnets.Count; i++)
        {
            var subnet = p.ClientSubnets[i];
            var subnetPath = $"{path}:{nameof(PropagationConfig.ClientSubnets)}:{i}";
            if (string.IsNullOrWhiteSpace(subnet.Name) || !subnet.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                error($"{subnetPath}:{nameof(ClientSubnetConfig.Name)}", $"is required: letters, digits, '-', '_' or '.' (it becomes part of row names RESOLVER@NAME), got '{subnet.Name}'");
            }
            else if (!names.Add(subnet.Name))
            {
                error($"{subnetPath}:{nameof(ClientSubnetConfig.Name)}", $"duplicate client subnet name '{subnet.Name}'");
            }

            if (!ConfigParsers.TryParseClientSubnet(subnet.Subnet, out var why))
            {
                error($"{subnetPath}:{nameof(ClientSubnetConfig.Subnet)}", why);
            }
        }

        return p with { CaFile = p.CaFile is null ? null : TargetValidator.CaFile(Path.GetFullPath(p.CaFile, baseDirectory), $"{path}:{nameof(PropagationConfig.CaFile)}", error) };
    }
}
