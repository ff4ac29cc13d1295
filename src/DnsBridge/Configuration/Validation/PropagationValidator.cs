namespace DnsBridge.Configuration.Validation;

public static class PropagationValidator
{
    public static PropagationConfig Validate(PropagationConfig p, string path, string baseDirectory, Action<string, string> error)
    {
        if (p.Interval < TimeSpan.FromSeconds(1))
        {
            error($"{path}:Interval", "must be at least 00:00:01");
        }

        if (p.Timeout <= TimeSpan.Zero)
        {
            error($"{path}:Timeout", "must be longer than 00:00:00");
        }
        else if (p.Timeout >= p.Interval)
        {
            error($"{path}:Timeout", $"must be shorter than Propagation:Interval ({p.Interval:c})");
        }

        if (p.Concurrency is < 1 or > 1024)
        {
            error($"{path}:Concurrency", $"must be 1-1024, got {p.Concurrency}");
        }

        if (p.Transport is not (ResolverAddress.Udp or ResolverAddress.Dot or ResolverAddress.Doh))
        {
            error($"{path}:Transport", $"must be 'udp', 'dot' or 'doh', got '{p.Transport}'");
        }

        return ValidateTransport(p, path, baseDirectory, error);
    }

    /// <summary>The keys <c>check</c> also takes as options: HttpProxy, CaFile, ClientSubnets.</summary>
    public static PropagationConfig ValidateTransport(PropagationConfig p, string path, string baseDirectory, Action<string, string> error)
    {
        if (p.HttpProxy is { } proxy && (!Uri.TryCreate(proxy, UriKind.Absolute, out var proxyUri) || proxyUri.Scheme != Uri.UriSchemeHttp
            || proxyUri.AbsolutePath != "/" || proxyUri.Query.Length > 0))
        {
            error($"{path}:HttpProxy", $"must be http://HOST:PORT (an HTTP proxy that tunnels with CONNECT), got '{proxy}'");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < p.ClientSubnets.Count; i++)
        {
            var subnet = p.ClientSubnets[i];
            var subnetPath = $"{path}:ClientSubnets:{i}";
            if (string.IsNullOrWhiteSpace(subnet.Name) || !subnet.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                error($"{subnetPath}:Name", $"is required: letters, digits, '-', '_' or '.' (it becomes part of row names RESOLVER@NAME), got '{subnet.Name}'");
            }
            else if (!names.Add(subnet.Name))
            {
                error($"{subnetPath}:Name", $"duplicate client subnet name '{subnet.Name}'");
            }

            if (!ConfigParsers.TryParseClientSubnet(subnet.Subnet, out var why))
            {
                error($"{subnetPath}:Subnet", why);
            }
        }

        return p with { CaFile = p.CaFile is null ? null : TargetValidator.CaFile(Path.GetFullPath(p.CaFile, baseDirectory), $"{path}:CaFile", error) };
    }
}
