namespace DnsBridge.Configuration;

/// <summary>One application being moved: its host names, its target, the source it leaves, DNS and drain rules.</summary>
public sealed record CutoverConfig
{
    public string Name { get; init; } = "";

    /// <summary>Lower-case ASCII (IDN already converted to punycode) host names.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    public TargetConfig Target { get; init; } = new();
    public IReadOnlyList<string> SourceAddresses { get; init; } = [];
    public DnsExpectationConfig Dns { get; init; } = new();
    public DrainConfig Drain { get; init; } = new();
}

/// <summary>Where residual traffic goes. Compared by value on reload: an unchanged target keeps its connections.</summary>
public sealed record TargetConfig
{
    public string Address { get; init; } = "";
    public int Port { get; init; } = 443;
    public string Scheme { get; init; } = "https";

    /// <summary>SNI and certificate name; null means the request's host.</summary>
    public string? ServerName { get; init; }

    public string? CaFile { get; init; }
    public bool AllowInvalidCertificate { get; init; }
    /// <summary>
    /// Time to the target's first byte and the longest idle gap after it (YARP's activity timeout, reset by every
    /// byte), so streams and WebSockets live on as long as they move.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Hard bound on one forwarded request, whatever moves in between; null (the default) means none. Not applied
    /// to WebSocket upgrades, which live on.
    /// </summary>
    public TimeSpan? RequestTimeout { get; init; }
    public string HealthPath { get; init; } = "/";

    public bool IsHttps => string.Equals(Scheme, "https", StringComparison.Ordinal);
}

public sealed record DnsExpectationConfig
{
    public IReadOnlyList<string> Types { get; init; } = ["A"];

    /// <summary>Addresses a switched resolver answers with; defaults to the target address.</summary>
    public IReadOnlyList<string> Expect { get; init; } = [];

    /// <summary>Alternative expectation: the CNAME the record points at after the switch (a cloud LB name).</summary>
    public IReadOnlyList<string> ExpectCname { get; init; } = [];

    /// <summary>
    /// The old DNS provider's name servers (IP, IP:PORT, [IPv6]:PORT or a host name) when the cutover also moves the
    /// zone: resolvers that cached the old delegation keep asking them until the parent's NS TTL has run out.
    /// </summary>
    public IReadOnlyList<string> PreviousNameServers { get; init; } = [];

    /// <summary>The parent zone's servers (IP[:PORT]) to ask for the delegation instead of looking them up (air-gapped sites, tests).</summary>
    public IReadOnlyList<string> ParentNameServers { get; init; } = [];
}

public sealed record DrainConfig
{
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Residual requests tolerated per quiet period.</summary>
    public long Threshold { get; init; }

    public bool Nudge { get; init; } = true;
    public TimeSpan WebSocketGrace { get; init; } = TimeSpan.FromMinutes(5);
    public ExcludeConfig Exclude { get; init; } = new();
}

public sealed record ExcludeConfig
{
    public IReadOnlyList<string> Paths { get; init; } = [];
    public IReadOnlyList<string> UserAgents { get; init; } = [];
    public IReadOnlyList<string> ClientCidrs { get; init; } = [];
}
