namespace DnsBridge.Admin;

// The smaller JSON answers of the admin API, named for the source-generated serializer (AdminJsonContext); field
// names are the API's (camel-cased property names).

/// <summary>Any API error: <c>{"error": "..."}</c>.</summary>
internal sealed record ApiError(string Error);

/// <summary><c>/api/cutovers/{name}/residual</c>.</summary>
internal sealed record ResidualSeriesDocument(
    string Cutover,
    string Range,
    int BucketMinutes,
    DateTimeOffset From,
    DateTimeOffset To,
    long Total,
    IReadOnlyList<HistorySeries.ResidualPoint> Points);

/// <summary><c>/api/cutovers/{name}/propagation</c>.</summary>
internal sealed record PropagationSeriesDocument(
    string Cutover,
    string Range,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset? DnsSwitchedAt,
    DateTimeOffset? PropagationCompleteAt,
    IReadOnlyList<HistorySeries.SharePoint> Points);

/// <summary><c>/api/cluster</c>.</summary>
internal sealed record ClusterDocument(
    string Replica,
    string? Leader,
    ClusterStoreDocument Store,
    IReadOnlyList<string> ConfigMismatch,
    string? Warning,
    IReadOnlyList<ClusterReplicaDocument> Replicas);

internal sealed record ClusterStoreDocument(bool Reachable, string? Problem);

internal sealed record ClusterReplicaDocument(string Name, DateTimeOffset? LastSeen, bool Alive, bool Leader, long ResidualRequests, long ResidualConnections);
