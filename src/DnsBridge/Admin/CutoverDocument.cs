namespace DnsBridge.Admin;

// The JSON of /api/cutovers/{name} (see CutoverView), one record per object. Named types, not anonymous ones,
// because the shipped build is Native AOT: System.Text.Json writes them from source-generated metadata
// (AdminJsonContext). The property names, camel-cased by the web defaults, are the API's field names: the status
// page, Grafana and the README read them, so a rename here is a contract change.

/// <summary>One cutover as the API shows it.</summary>
internal sealed record CutoverDocument(
    string Name,
    IReadOnlyList<string> Hosts,
    TargetDocument Target,
    IReadOnlyList<string> SourceAddresses,
    DrainDocument Drain,
    PropagationDocument? Propagation,
    ResidualDocument? Residual,
    NudgeDocument Nudge,
    IReadOnlyList<EventDocument> Events,
    IReadOnlyList<PendingAlertDocument> PendingAlerts,
    string Phase = "switched",
    PhaseDocument? PhaseDetail = null);

/// <summary>
/// A cutover's phase details (cutovers with a source backend only): whether the phase is known yet (read from the
/// store), since when (null: never changed, rehearsal since start), requests held now, where the source is, and the
/// freeze and switch settings.
/// </summary>
internal sealed record PhaseDocument(
    bool Known,
    DateTimeOffset? Since,
    int Held,
    TargetDocument SourceBackend,
    double FreezeHoldSeconds,
    int FreezeMaxHeld,
    string SwitchAuto);

/// <summary>The body of <c>POST /api/cutovers/{name}/phase</c>: the phase to enter, force past the readiness gate, who asks (cli or api, default api).</summary>
internal sealed record PhaseChangeRequest(string? Phase, bool Force = false, string? By = null);

/// <summary>The answer to a phase change: the change made, or why not (with the gate's failing bounds).</summary>
internal sealed record PhaseChangeDocument(string Cutover, string? From, string? To, bool Forced, string Message, IReadOnlyList<string>? Failures, string? Error = null);

internal sealed record TargetDocument(string Address, int Port, string Scheme, string? ServerName);

internal sealed record DrainDocument(
    string State,
    DateTimeOffset Since,
    DateTimeOffset? DnsSwitchedAt,
    DateTimeOffset? PropagationCompleteAt,
    DateTimeOffset? StaleUntil,
    DateTimeOffset? QuietSince,
    DateTimeOffset? QuietEndsAt,
    DateTimeOffset? DrainedAt,
    double QuietPeriodSeconds,
    long Threshold,
    bool Nudge);

internal sealed record PropagationDocument(
    DateTimeOffset At,
    double Ratio,
    double EtaSeconds,
    bool Complete,
    string? Authoritative,
    string? AuthoritativeDisagreement,
    bool AuthoritativeUnreachable,
    IReadOnlyList<UnreachableServerDocument> AuthoritativeUnreachableServers,
    DelegationDocument? Delegation,
    IReadOnlyList<ResolverRow> Resolvers);

internal sealed record UnreachableServerDocument(string Name, string Resolver, string? Error, string? Detail);

internal sealed record LocationDocument(string City, double Latitude, double Longitude);

internal sealed record ResidualDocument(
    long Total,
    long Requests,
    long Connections,
    long Excluded,
    DateTimeOffset? LastRequestAt,
    IReadOnlyList<ReplicaResidualDocument> Replicas,
    long PerMinute1m,
    double PerMinute15m,
    double PerMinute1h,
    long LastHour,
    IReadOnlyList<MinuteDocument> Series,
    long DistinctClients1h,
    bool DistinctClientsEstimated,
    IReadOnlyList<TopClientDocument> TopClients,
    IReadOnlyList<TopConnectionClientDocument> TopClientsByConnections,
    IReadOnlyList<TopUserAgentDocument> TopUserAgents);

internal sealed record ReplicaResidualDocument(string Name, long Requests, long Connections, DateTimeOffset? LastRequestAt);

internal sealed record MinuteDocument(DateTimeOffset Minute, long Count);

/// <summary>A top client by requests; <c>error</c> and <c>lastSeen</c> are null when summed over replicas.</summary>
internal sealed record TopClientDocument(string Client, long Requests, long? Error, DateTimeOffset? LastSeen);

internal sealed record TopConnectionClientDocument(string Client, long Connections, long Error, DateTimeOffset LastSeen);

internal sealed record TopUserAgentDocument(string UserAgent, long Requests, long Error, DateTimeOffset LastSeen);

internal sealed record NudgeDocument(bool Enabled, bool Active, NudgeConnectionsDocument Connections, int ClientsNudged, int ClientsStillArriving, int ClientsStopped);

/// <summary>Open connections by kind; <c>websocket</c> is one word in the API.</summary>
internal sealed record NudgeConnectionsDocument(long Http1, long Http2, long Websocket, long Tcp);

/// <summary>An event as the API shows it; <c>fields</c>: its structured facts (phase_changed: from, to, by, forced), left out when it has none.</summary>
internal sealed record EventDocument(string Id, string Event, DateTimeOffset At, string Text,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] System.Text.Json.Nodes.JsonObject? Fields = null);

internal sealed record PendingAlertDocument(
    string Event,
    string Id,
    string Receiver,
    string? Webhook,
    int Attempts,
    string? LastError,
    bool Failed,
    DateTimeOffset Since,
    DateTimeOffset? NextAttemptAt);
