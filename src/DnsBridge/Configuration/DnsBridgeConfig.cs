namespace DnsBridge.Configuration;

/// <summary>
/// The whole validated configuration (section <c>DnsBridge</c>). Immutable: a reload builds a new one and
/// the running parts compare old and new to decide what to rebuild.
/// </summary>
internal sealed record DnsBridgeConfig
{
    public const string SectionName = "DnsBridge";

    public ListenConfig Listen { get; init; } = new();
    public IReadOnlyList<CutoverConfig> Cutovers { get; init; } = [];
    public ResolversConfig Resolvers { get; init; } = new();
    public PropagationConfig Propagation { get; init; } = new();
    public AlertsConfig Alerts { get; init; } = new();
    public StateConfig State { get; init; } = new();
    public ClusterConfig Cluster { get; init; } = new();
    public LoggingConfig Logging { get; init; } = new();
    public LimitsConfig Limits { get; init; } = new();

    /// <summary>Peers whose X-Forwarded-For is believed (the source load balancer); CIDRs.</summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = DefaultTrustedProxies;

    public static readonly IReadOnlyList<string> DefaultTrustedProxies =
        ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];
}

internal sealed record ListenConfig
{
    public string Proxy { get; init; } = "http://0.0.0.0:8080";

    /// <summary>Optional TLS proxy listener (https://ADDRESS:PORT) for sources whose LB passes TLS through; HTTP/2 by ALPN.</summary>
    public string? ProxyHttps { get; init; }

    public string Admin { get; init; } = "http://127.0.0.1:8081";

    /// <summary>When set, /api and /metrics on the admin listener require <c>Authorization: Bearer</c> this token.</summary>
    public string? AdminToken { get; init; }

    /// <summary>
    /// The explicit opt-out that lets <see cref="Admin"/> listen beyond loopback without <see cref="AdminToken"/>;
    /// without it that is a config error. Changes (POST and the like) still need a token.
    /// </summary>
    public bool AllowAnonymousAdmin { get; init; }

    /// <summary>PEM certificate and key pairs of the TLS proxy listener, chosen by SNI.</summary>
    public IReadOnlyList<CertificateConfig> Certificates { get; init; } = [];

    /// <summary>
    /// Optional TLS passthrough listener (<c>IP:PORT</c>): routes by the ClientHello's SNI to a cutover with
    /// <c>Target.Scheme</c> <c>tls</c> and relays bytes, never terminating TLS.
    /// </summary>
    public string? Passthrough { get; init; }

    /// <summary>Whether the proxy listeners require a PROXY protocol v1/v2 header from <c>TrustedProxies</c> peers (and refuse one from others).</summary>
    public bool AcceptProxyProtocol { get; init; }

    /// <summary>
    /// A relayed connection (passthrough, port forward) with no byte either way for this long is closed: a client
    /// gone without a FIN behind a NAT would otherwise hold its <c>Limits:MaxConnections</c> slot for good.
    /// </summary>
    public TimeSpan ConnectionIdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>After one side of a relayed connection sent its FIN, the other direction is closed once idle this long.</summary>
    public TimeSpan ConnectionHalfCloseTimeout { get; init; } = TimeSpan.FromMinutes(2);

    // By value, certificates included: a reload compares the old and new listeners to tell whether a restart is needed
    // (a record compares a list by reference, so every reload looked like a change).
    public bool Equals(ListenConfig? other) =>
        other is not null && Proxy == other.Proxy && ProxyHttps == other.ProxyHttps && Admin == other.Admin
        && AdminToken == other.AdminToken && AllowAnonymousAdmin == other.AllowAnonymousAdmin && Certificates.SequenceEqual(other.Certificates)
        && Passthrough == other.Passthrough && AcceptProxyProtocol == other.AcceptProxyProtocol
        && ConnectionIdleTimeout == other.ConnectionIdleTimeout && ConnectionHalfCloseTimeout == other.ConnectionHalfCloseTimeout;

    public override int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(Proxy, ProxyHttps, Admin, AdminToken, AllowAnonymousAdmin, Certificates.Count, Passthrough, AcceptProxyProtocol), ConnectionIdleTimeout, ConnectionHalfCloseTimeout);
}

internal sealed record CertificateConfig
{
    public string CertFile { get; init; } = "";
    public string KeyFile { get; init; } = "";
}

/// <summary>Kestrel's protections on the proxy listeners (read at start: a change needs a restart).</summary>
internal sealed record LimitsConfig
{
    /// <summary>Open client connections per listener; beyond it new connections are refused at once.</summary>
    public long MaxConnections { get; init; } = 10000;

    /// <summary>Request line plus headers; larger requests get 431 and are not forwarded.</summary>
    public int MaxRequestHeadersBytes { get; init; } = 32 * 1024;

    /// <summary>Time a client may take to send its headers: slowloris-style clients are cut after it.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Idle keep-alive connections are closed after it.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// On SIGTERM, how long requests in flight and open WebSockets get before they are cut: below the orchestrator's
    /// grace period (60 s in the compose and Kubernetes manifests), so the store is flushed before a SIGKILL.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(45);
}

internal sealed record LoggingConfig
{
    /// <summary>One Information event per forwarded request.</summary>
    public bool AccessLog { get; init; } = true;

    /// <summary>
    /// Events held for stdout when it cannot keep up; beyond that they are dropped (and counted), never waited for.
    /// Read at start.
    /// </summary>
    public int BufferEvents { get; init; } = 65536;
}

internal sealed record StateConfig
{
    public const string ProviderSqlite = "sqlite";
    public const string ProviderPostgres = "postgres";

    /// <summary><c>sqlite</c> (one instance, <see cref="Path"/>) or <c>postgres</c> (cluster mode, <see cref="ConnectionString"/>).</summary>
    public string Provider { get; init; } = ProviderSqlite;

    public string Path { get; init; } = "dnsbridge.db";

    /// <summary>
    /// The PostgreSQL connection string (Npgsql keywords). A secret: it may carry a password, so it is never printed;
    /// <see cref="PostgresConnectionString.Describe(string?)"/> gives what may be shown.
    /// </summary>
    public string? ConnectionString { get; init; }

    public bool IsPostgres => Provider == ProviderPostgres;

    // A record prints every property; this one holds a password, and a record can end up in a log by accident.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Provider = {Provider}, Path = {Path}, ConnectionString = {(ConnectionString is null ? "null" : "(secret)")}");
        return true;
    }
}

internal sealed record AlertsConfig
{
    public IReadOnlyList<WebhookConfig> Webhooks { get; init; } = [];

    /// <summary>
    /// How long an undelivered alert is retried before it is failed; null (the default): until it is delivered, since
    /// a receiver down for a weekend must still get the alert that the source can go.
    /// </summary>
    public TimeSpan? GiveUpAfter { get; init; }

    /// <summary>Mail over SMTP: one more outbox receiver, named <see cref="EmailConfig.ReceiverName"/>; null when not configured.</summary>
    public EmailConfig? Email { get; init; }

    /// <summary>Every receiver an event gets an outbox row for: the webhooks by name, then email when configured.</summary>
    public IEnumerable<string> Receivers => Email is null ? Webhooks.Select(w => w.Name) : Webhooks.Select(w => w.Name).Append(EmailConfig.ReceiverName);
}

internal sealed record WebhookConfig
{
    private readonly string? _name;

    public string Url { get; init; } = "";

    /// <summary>
    /// The receiver's identity in the outbox (its rows follow it when the URL is edited, e.g. a rotated token).
    /// Default: the URL's host. Rows written before names existed hold the URL and are matched by it (or, after a URL
    /// edit, by its host when only one webhook is on that host).
    /// </summary>
    public string Name
    {
        get => string.IsNullOrWhiteSpace(_name) ? DefaultName(Url) : _name;
        init => _name = value?.Trim();
    }

    /// <summary>The URL's host (lower case, as <see cref="Uri.Host"/> gives it); empty when the URL is not one.</summary>
    public static string DefaultName(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host : "";

    /// <summary>Sent with every delivery (tokens); never logged, never returned by the API.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The body's shape: one of <see cref="WebhookFormats.All"/>, lower case once validated.</summary>
    public string Format { get; init; } = WebhookFormats.Json;

    /// <summary>
    /// The signing secret of a robot that signs (DingTalk, Feishu): used to sign every request, never sent itself,
    /// never logged, never returned by the API. Null: the robot does not require a signature.
    /// </summary>
    public string? Secret { get; init; }
}

internal sealed record PropagationConfig
{
    public bool Enabled { get; init; } = true;
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    public int Concurrency { get; init; } = 32;

    /// <summary>
    /// The most questions one resolver address is sent in a second: public resolvers answer bursts with errors (rate
    /// limits). A pass spreads each resolver's questions evenly over the interval, and stretches past it rather than
    /// exceed this.
    /// </summary>
    public int MaxQuestionsPerSecondPerResolver { get; init; } = 20;

    /// <summary>
    /// <see cref="ResolverAddress.Udp"/> (default), <see cref="ResolverAddress.Dot"/> or <see cref="ResolverAddress.Doh"/>:
    /// built-in resolvers that have such an endpoint are asked over it (the others over plain DNS).
    /// </summary>
    public string Transport { get; init; } = ResolverAddress.Udp;

    /// <summary>An HTTP proxy (<c>http://HOST:PORT</c>) that DNS-over-HTTPS questions go through; null: direct.</summary>
    public string? HttpProxy { get; init; }

    /// <summary>Roots added to the system's for DoT/DoH certificates (private resolvers, tests); absolute once validated.</summary>
    public string? CaFile { get; init; }

    /// <summary>Client subnets every ECS-capable resolver is also asked "as if from" (rows <c>RESOLVER@NAME</c>).</summary>
    public IReadOnlyList<ClientSubnetConfig> ClientSubnets { get; init; } = [];

    /// <summary>Other DnsBridge instances whose resolver rows are pulled over their admin API and merged (rows labelled with the vantage's name).</summary>
    public IReadOnlyList<VantageConfig> Vantages { get; init; } = [];
}

/// <summary>
/// A remote vantage: another DnsBridge running <c>serve</c> with the same cutovers, reached at its admin
/// <see cref="Url"/> with its <c>Listen:AdminToken</c> as <see cref="Token"/> (a secret: never logged nor shown).
/// </summary>
internal sealed record VantageConfig
{
    public string Name { get; init; } = "";

    public string Url { get; init; } = "";

    public string? Token { get; init; }

    /// <summary>Name and URL only: what may appear in logs and output.</summary>
    public override string ToString() => $"{Name} ({Url})";
}

/// <summary>A named EDNS client subnet (RFC 7871), e.g. <c>{ "Name": "shanghai", "Subnet": "101.80.0.0/16" }</c>.</summary>
internal sealed record ClientSubnetConfig
{
    public string Name { get; init; } = "";

    public string Subnet { get; init; } = "";
}

internal sealed record ResolversConfig
{
    public const string PresetGlobal = "global";
    public const string PresetNone = "none";

    public string Preset { get; init; } = PresetGlobal;
    public IReadOnlyList<CustomResolverConfig> Custom { get; init; } = [];
    public bool Authoritative { get; init; } = true;

    /// <summary>
    /// The zone's authoritative servers (IP[:PORT]) when they cannot or should not be discovered through NS
    /// lookups: private zones, split horizon, tests. Empty: discovered per cutover.
    /// </summary>
    public IReadOnlyList<string> AuthoritativeServers { get; init; } = [];
}

internal sealed record CustomResolverConfig
{
    public string Name { get; init; } = "";

    /// <summary><c>IP[:PORT]</c>, <c>tls://IP[:PORT]#NAME</c> or <c>https://HOST[:PORT]/PATH</c> (see <see cref="ResolverAddress"/>).</summary>
    public string Address { get; init; } = "";

    /// <summary>Where to dial an https:// resolver without resolving its host; null: resolve it.</summary>
    public string? Ip { get; init; }

    public string Region { get; init; } = "custom";

    /// <summary>Where the status page's map draws it (decimal degrees, both or neither); none: listed beside the map.</summary>
    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    /// <summary>The label on the map (default: the name).</summary>
    public string? City { get; init; }

    /// <summary>A client subnet (CIDR) this resolver is always asked "as if from"; null: none.</summary>
    public string? ClientSubnet { get; init; }

    /// <summary>The identification question asked when it sends no NSID: one of <see cref="PopQueries"/>; null: none.</summary>
    public string? PopQuery { get; init; }

    /// <summary>The operator identification questions DnsBridge knows how to ask and read (Propagation's PopQuery).</summary>
    public static readonly IReadOnlyList<string> PopQueries = ["id.server", "google", "opendns"];
}
