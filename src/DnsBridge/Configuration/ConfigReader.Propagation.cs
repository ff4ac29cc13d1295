namespace DnsBridge.Configuration;

/// <summary>The <c>Resolvers</c> and <c>Propagation</c> sections: who is asked, how often and how.</summary>
internal sealed partial class ConfigReader
{
    private ResolversConfig ReadResolvers(Section s)
    {
        var d = new ResolversConfig();
        return new ResolversConfig
        {
            Preset = (s.String(nameof(d.Preset)) ?? d.Preset).ToLowerInvariant(),
            Custom = s.List(nameof(d.Custom), ReadCustomResolver),
            Authoritative = s.Read(nameof(d.Authoritative), Bool) ?? d.Authoritative,
            AuthoritativeServers = s.Strings(nameof(d.AuthoritativeServers)),
        };
    }

    private CustomResolverConfig ReadCustomResolver(Section c)
    {
        var d = new CustomResolverConfig();
        return new CustomResolverConfig
        {
            Name = c.String(nameof(d.Name)) ?? "",
            Address = c.String(nameof(d.Address)) ?? "",
            Ip = NullIfEmpty(c.String(nameof(d.Ip))),
            Region = c.String(nameof(d.Region)) ?? d.Region,
            ClientSubnet = NullIfEmpty(c.String(nameof(d.ClientSubnet))),
            PopQuery = NullIfEmpty(c.String(nameof(d.PopQuery))),
            Latitude = c.Read(nameof(d.Latitude), Degrees),
            Longitude = c.Read(nameof(d.Longitude), Degrees),
            City = c.String(nameof(d.City)),
        };
    }

    private PropagationConfig ReadPropagation(Section s)
    {
        var d = new PropagationConfig();
        return new PropagationConfig
        {
            Enabled = s.Read(nameof(d.Enabled), Bool) ?? d.Enabled,
            Interval = s.Read(nameof(d.Interval), Duration) ?? d.Interval,
            Timeout = s.Read(nameof(d.Timeout), Duration) ?? d.Timeout,
            Concurrency = s.Read(nameof(d.Concurrency), Int) ?? d.Concurrency,
            MaxQuestionsPerSecondPerResolver = s.Read(nameof(d.MaxQuestionsPerSecondPerResolver), Int) ?? d.MaxQuestionsPerSecondPerResolver,
            Transport = (s.String(nameof(d.Transport)) ?? d.Transport).ToLowerInvariant(),
            HttpProxy = NullIfEmpty(s.String(nameof(d.HttpProxy))),
            CaFile = NullIfEmpty(s.String(nameof(d.CaFile))),
            ClientSubnets = s.List(nameof(d.ClientSubnets), c => new ClientSubnetConfig
            {
                Name = c.String(nameof(ClientSubnetConfig.Name)) ?? "",
                Subnet = c.String(nameof(ClientSubnetConfig.Subnet)) ?? "",
            }),
            Vantages = s.List(nameof(d.Vantages), v => new VantageConfig
            {
                Name = v.String(nameof(VantageConfig.Name)) ?? "",
                Url = v.String(nameof(VantageConfig.Url)) ?? "",
                Token = NullIfEmpty(v.String(nameof(VantageConfig.Token))),
            }),
        };
    }
}
