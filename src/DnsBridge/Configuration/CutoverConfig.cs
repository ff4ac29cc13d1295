namespace DnsBridge.Configuration;

/// <summary>One application being moved: its host names, its target, the source it leaves, DNS and drain rules.</summary>
internal sealed record CutoverConfig
{
    public string Name { get; init; } = "";

    /// <summary>Lower-case ASCII (IDN already converted to punycode) host names.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    public TargetConfig Target { get; init; } = new();
    public IReadOnlyList<string> SourceAddresses { get; init; } = [];
    public DnsExpectationConfig Dns { get; init; } = new();
    public DrainConfig Drain { get; init; } = new();

    /// <summary>Plain TCP forwards: every connection to <c>Listen</c> belongs to this cutover and goes to <c>Target.Address:Target</c>.</summary>
    public IReadOnlyList<PortForwardConfig> Ports { get; init; } = [];

    /// <summary>
    /// The old application as DnsBridge reaches it at the source. With it the cutover has a phase (rehearsal, frozen,
    /// switched, rolled_back); without it (null) the cutover is switched from the start, as before phases existed.
    /// </summary>
    public SourceBackendConfig? SourceBackend { get; init; }

    public FreezeConfig Freeze { get; init; } = new();

    public SwitchConfig Switch { get; init; } = new();

    /// <summary>Whether the cutover has phases (a <see cref="SourceBackend"/>).</summary>
    public bool HasPhases => SourceBackend is not null;

    /// <summary>Copies of rehearsal requests to the target, compared with the source's answers.</summary>
    public MirrorConfig Mirror { get; init; } = new();

    // By value, ports included (a record compares a list by reference).
    public bool Equals(CutoverConfig? other) =>
        other is not null && Name == other.Name && Hosts.SequenceEqual(other.Hosts) && Target == other.Target
        && SourceAddresses.SequenceEqual(other.SourceAddresses) && Dns == other.Dns && Drain == other.Drain && Ports.SequenceEqual(other.Ports)
        && SourceBackend == other.SourceBackend && Freeze == other.Freeze && Switch == other.Switch && Mirror == other.Mirror;

    public override int GetHashCode() => HashCode.Combine(Name, Hosts.Count, Target, Ports.Count);
}

/// <summary>
/// Where requests and connections go before the switch and after a rollback: same rules as the target (an IP, never
/// resolved). Compared by value on reload: an unchanged source backend keeps its pooled connections.
/// </summary>
internal sealed record SourceBackendConfig
{
    public string Address { get; init; } = "";
    public int Port { get; init; } = 443;
    public string Scheme { get; init; } = "https";

    /// <summary>SNI and certificate name; null means the request's host.</summary>
    public string? ServerName { get; init; }

    public string? CaFile { get; init; }

    /// <summary>
    /// The source backend as a target the forwarder's handler factory can dial: the cutover target's timeouts and
    /// health path, the source's address, port, scheme, TLS name and trust, and never a PROXY header.
    /// </summary>
    public TargetConfig AsTarget(TargetConfig target) => target with
    {
        Address = Address,
        Port = Port,
        Scheme = Scheme,
        ServerName = ServerName,
        CaFile = CaFile,
        AllowInvalidCertificate = false,
        ProxyProtocol = ProxyProtocolVersions.None,
    };
}

/// <summary>What <c>frozen</c> does with requests: hold each up to <c>Hold</c>, at most <c>MaxHeld</c> at once.</summary>
internal sealed record FreezeConfig
{
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxHeld { get; init; } = 1000;
}

/// <summary>How the switch happens: by itself at <c>dns_switched</c> (<c>Auto: dns</c>) or not, and the readiness gate.</summary>
internal sealed record SwitchConfig
{
    public const string AutoNone = "none";
    public const string AutoDns = "dns";

    public string Auto { get; init; } = AutoNone;

    /// <summary>Null: no gate, <c>switch</c> is never refused for readiness.</summary>
    public SwitchRequireConfig? Require { get; init; }

    public bool AutoOnDns => string.Equals(Auto, AutoDns, StringComparison.Ordinal);
}

/// <summary>The mirrored comparison a switch needs; a null bound is not checked.</summary>
internal sealed record SwitchRequireConfig
{
    public long? MinMirrored { get; init; }

    public double? MinStatusMatch { get; init; }

    public double? MaxLatencyRatioP99 { get; init; }
}

/// <summary>One plain TCP forward of a cutover: <c>Listen</c> (<c>IP:PORT</c>) to the target address on port <c>Target</c>.</summary>
internal sealed record PortForwardConfig
{
    public string Listen { get; init; } = "";

    public int Target { get; init; }
}

/// <summary>The PROXY protocol header sent to the target before the relayed bytes (<c>Target.ProxyProtocol</c>).</summary>
internal static class ProxyProtocolVersions
{
    public const string None = "none";
    public const string V1 = "v1";
    public const string V2 = "v2";

    public static readonly IReadOnlyList<string> All = [None, V1, V2];
}

/// <summary>Where residual traffic goes. Compared by value on reload: an unchanged target keeps its connections.</summary>
internal sealed record TargetConfig
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

    /// <summary>PROXY protocol header toward the target on passthrough and port forwards: none, v1 or v2.</summary>
    public string ProxyProtocol { get; init; } = ProxyProtocolVersions.None;

    public const string SchemeTls = "tls";
    public const string SchemeTcp = "tcp";

    /// <summary><c>tls</c>: a passthrough cutover, routed by SNI on <c>Listen:Passthrough</c>; TLS ends at the target only.</summary>
    public bool IsPassthrough => string.Equals(Scheme, SchemeTls, StringComparison.Ordinal);

    /// <summary>Forwarded as connections only (<c>tls</c> or <c>tcp</c>): the HTTP listeners never route to it.</summary>
    public bool IsConnectionOnly => IsPassthrough || string.Equals(Scheme, SchemeTcp, StringComparison.Ordinal);

    public bool IsHttps => string.Equals(Scheme, "https", StringComparison.Ordinal);
}

internal sealed record DnsExpectationConfig
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

internal sealed record DrainConfig
{
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Residual requests tolerated per quiet period.</summary>
    public long Threshold { get; init; }

    public bool Nudge { get; init; } = true;
    public TimeSpan WebSocketGrace { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Once propagation is complete, a forwarded connection idle this long (no byte either way) is closed so its client re-resolves.</summary>
    public TimeSpan IdleNudge { get; init; } = TimeSpan.FromSeconds(30);
    public ExcludeConfig Exclude { get; init; } = new();
}

internal sealed record ExcludeConfig
{
    public IReadOnlyList<string> Paths { get; init; } = [];
    public IReadOnlyList<string> UserAgents { get; init; } = [];
    public IReadOnlyList<string> ClientCidrs { get; init; } = [];
}
