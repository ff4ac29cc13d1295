namespace DnsBridge.Configuration.Validation;

internal static class ResolversValidator
{
    public static void Validate(ResolversConfig r, string path, Action<string, string> error)
    {
        if (r.Preset is not (ResolversConfig.PresetGlobal or ResolversConfig.PresetNone))
        {
            error($"{path}:{nameof(ResolversConfig.Preset)}", $"must be 'global' or 'none', got '{r.Preset}'");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < r.Custom.Count; i++)
        {
            var c = r.Custom[i];
            var customPath = $"{path}:{nameof(ResolversConfig.Custom)}:{i}";
            if (string.IsNullOrWhiteSpace(c.Name))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.Name)}", "is required");
            }
            else if (!names.Add(c.Name))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.Name)}", $"duplicate resolver name '{c.Name}'");
            }

            if (!ResolverAddress.TryParse(c.Address, null, out var address, out var why))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.Address)}", why);
            }
            else if (c.Ip is not null && !ResolverAddress.TryParse(c.Address, c.Ip, out _, out why))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.Ip)}", why);
            }
            else if (c.Name.Contains('@', StringComparison.Ordinal))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.Name)}", "must not contain '@' (it separates a resolver from its client subnet in row names)");
            }

            if (c.ClientSubnet is not null && !ConfigParsers.TryParseClientSubnet(c.ClientSubnet, out var subnetWhy))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.ClientSubnet)}", subnetWhy);
            }

            if (c.PopQuery is not null && !CustomResolverConfig.PopQueries.Contains(c.PopQuery))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.PopQuery)}", $"must be one of {string.Join(", ", CustomResolverConfig.PopQueries)} (the operator's identification question), not '{c.PopQuery}'");
            }

            if (string.IsNullOrWhiteSpace(c.Region))
            {
                error($"{customPath}:{nameof(CustomResolverConfig.Region)}", "must not be empty");
            }

            ValidateLocation(c, customPath, error);
        }

        for (var i = 0; i < r.AuthoritativeServers.Count; i++)
        {
            if (!ConfigParsers.TryParseEndpoint(r.AuthoritativeServers[i], 53, out _))
            {
                error($"{path}:{nameof(ResolversConfig.AuthoritativeServers)}:{i}", $"must be IP, IP:PORT or [IPv6]:PORT, got '{r.AuthoritativeServers[i]}'");
            }
        }

        if (r.Preset == ResolversConfig.PresetNone && r.Custom.Count == 0 && !r.Authoritative)
        {
            error(path, "Preset 'none' without Custom resolvers or Authoritative leaves nothing to ask");
        }
    }

    private static void ValidateLocation(CustomResolverConfig c, string path, Action<string, string> error)
    {
        if (c.Latitude.HasValue != c.Longitude.HasValue)
        {
            error($"{path}:{(c.Latitude.HasValue ? "Longitude" : "Latitude")}", "is required with Latitude and Longitude: give both or neither");
        }

        if (c.Latitude is < -90 or > 90)
        {
            error($"{path}:{nameof(CustomResolverConfig.Latitude)}", $"must be between -90 and 90 degrees, got {c.Latitude}");
        }

        if (c.Longitude is < -180 or > 180)
        {
            error($"{path}:{nameof(CustomResolverConfig.Longitude)}", $"must be between -180 and 180 degrees, got {c.Longitude}");
        }
    }
}
