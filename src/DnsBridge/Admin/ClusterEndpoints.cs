using DnsBridge.Cluster;
using DnsBridge.Residual;

namespace DnsBridge.Admin;

/// <summary>
/// <c>GET /api/cluster</c>: this replica, the leader, every replica the store knows with its last heartbeat and
/// residual totals, whether the store can be reached, and which replicas run another configuration.
/// </summary>
internal static class ClusterEndpoints
{
    public static IEndpointRouteBuilder MapClusterEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/cluster", (ClusterMembership membership, ClusterResidual residual, TimeProvider time) => TypedResults.Ok(Describe(membership.Status, residual, time.GetUtcNow())));
        return endpoints;
    }

    internal static ClusterDocument Describe(ClusterStatus status, ClusterResidual residual, DateTimeOffset now)
    {
        var totals = residual.ByReplica();
        var seen = status.Replicas.ToDictionary(r => r.Name, r => (DateTimeOffset?)r.LastSeen, StringComparer.Ordinal);
        var names = seen.Keys.Union(totals.Keys, StringComparer.Ordinal).Append(status.Replica).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return new(
            Replica: status.Replica,
            Leader: status.Leader,
            Store: new(status.StoreReachable, status.StoreProblem),
            ConfigMismatch: status.ConfigMismatch,
            Warning: status.ConfigMismatch.Count > 0
                ? $"replicas {string.Join(", ", status.ConfigMismatch)} run a different configuration than {status.Replica}"
                : status.StoreReachable ? null : "the state store cannot be reached: forwarding goes on, figures of other replicas and the drain state are not current",
            Replicas: [.. names.Select(name =>
            {
                var lastSeen = name == status.Replica && status.StoreReachable ? now : seen.GetValueOrDefault(name);
                var counted = totals.GetValueOrDefault(name);
                return new ClusterReplicaDocument(
                    Name: name,
                    LastSeen: lastSeen,
                    Alive: lastSeen is { } at && now - at <= ClusterMembership.AliveWithin,
                    Leader: name == status.Leader,
                    ResidualRequests: counted.Requests,
                    ResidualConnections: counted.Connections);
            })]);
    }
}
