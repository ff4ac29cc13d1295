using System.Globalization;
using DnsBridge.State;

namespace DnsBridge.Residual;

/// <summary>
/// Residual figures over every replica sharing the store: this replica's live counters plus what the others last
/// wrote (their running totals, absolute values, at most a second or two old). With SQLite there are no others, and
/// the figures are this process's counters. <see cref="Save"/> and <see cref="Refresh"/> run on the history writer's
/// flush, never on the request path; while the store cannot be reached the others' last figures are kept and this
/// replica's totals simply grow in its counters (nothing is queued, so memory does not grow with the outage).
/// </summary>
internal sealed class ClusterResidual
{
    private const int TopClientsKept = 10;
    private readonly ResidualAccounting _local;
    private readonly IClusterStore _store;
    private volatile IReadOnlyList<ReplicaResidual> _stored;
    private readonly Dictionary<string, (long Requests, long Connections)> _saved = new(StringComparer.Ordinal);

    public ClusterResidual(ResidualAccounting local, IClusterStore store, string replica)
    {
        ArgumentNullException.ThrowIfNull(store);
        _local = local;
        _store = store;
        Replica = replica;

        // At start the store was just opened: a failure here is a failure to start, as for the drain statuses.
        _stored = store.Residual();

        // What this replica wrote before is what its counters continue from (DrainDetector restores them): a
        // restart does not write every row again, only those whose counts then move.
        foreach (var own in _stored.Where(r => r.Replica == replica))
        {
            _saved[own.Cutover] = (own.Requests, own.Connections);
        }
    }

    public string Replica { get; }

    /// <summary>What this replica wrote before it (re)started, for its counters to continue from; null when it never wrote.</summary>
    public ReplicaResidual? Own(string cutover) => _stored.FirstOrDefault(r => r.Replica == Replica && r.Cutover == cutover);

    /// <summary>Whether any replica ever wrote figures for the cutover (a state from before cluster rows existed has none).</summary>
    public bool AnyStored(string cutover) => _stored.Any(r => r.Cutover == cutover);

    /// <summary>The cutover's figures, cluster-wide, with one row per replica (this one first, live).</summary>
    public ResidualFigures For(string cutover)
    {
        var rows = new List<ReplicaResidual>();
        if (_local.TryGet(cutover, out var counter))
        {
            rows.Add(new ReplicaResidual(Replica, cutover, counter.Requests, counter.Connections, counter.LastResidualAt, ""));
        }

        rows.AddRange(_stored.Where(r => r.Cutover == cutover && r.Replica != Replica));
        return new ResidualFigures(rows.Sum(r => r.Requests), rows.Sum(r => r.Connections), rows.Max(r => r.LastResidualAt), rows);
    }

    /// <summary>Per replica, every cutover added up: this one live, the others as stored.</summary>
    public IReadOnlyDictionary<string, (long Requests, long Connections)> ByReplica()
    {
        var result = new Dictionary<string, (long Requests, long Connections)>(StringComparer.Ordinal)
        {
            [Replica] = (_local.Counters.Sum(c => c.Requests), _local.Counters.Sum(c => c.Connections)),
        };
        foreach (var group in _stored.Where(r => r.Replica != Replica).GroupBy(r => r.Replica, StringComparer.Ordinal))
        {
            result[group.Key] = (group.Sum(r => r.Requests), group.Sum(r => r.Connections));
        }

        return result;
    }

    /// <summary>The heaviest clients over every replica: each replica's top clients, added up by address.</summary>
    public IReadOnlyList<(string Client, long Requests)> TopClients(string cutover, int count)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        if (_local.TryGet(cutover, out var counter))
        {
            foreach (var c in counter.Clients.Top(TopClientsKept))
            {
                sums[c.Key.ToString()] = c.Count;
            }
        }

        foreach (var row in _stored.Where(r => r.Cutover == cutover && r.Replica != Replica))
        {
            foreach (var (client, requests) in ParseTop(row.TopClients))
            {
                sums[client] = sums.GetValueOrDefault(client) + requests;
            }
        }

        return [.. sums.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).Take(count).Select(s => (s.Key, s.Value))];
    }

    /// <summary>
    /// Writes this replica's totals that changed since the last successful write. False when the write failed (tried
    /// again next time). The top clients move only with the counts (every client counted is a request or connection
    /// counted), so a cutover whose counts stand still costs two reads, and one that never counted anything is never written: the flush follows traffic, not the number of
    /// cutovers (a cluster of replicas with a wave of hundreds of idle cutovers writes nothing).
    /// </summary>
    public bool Save(DateTimeOffset now)
    {
        var changed = new List<ReplicaResidual>();
        foreach (var counter in _local.Counters)
        {
            var (requests, connections) = (counter.Requests, counter.Connections);
            var known = _saved.TryGetValue(counter.Cutover, out var saved);
            if (known ? saved == (requests, connections) : requests == 0 && connections == 0)
            {
                continue;
            }

            var top = string.Join('\n', counter.Clients.Top(TopClientsKept).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Count}")));
            changed.Add(new ReplicaResidual(Replica, counter.Cutover, requests, connections, counter.LastResidualAt, top));
        }

        if (changed.Count == 0)
        {
            return true;
        }

        if (!_store.SaveResidual(Replica, changed, now))
        {
            return false;
        }

        foreach (var row in changed)
        {
            _saved[row.Cutover] = (row.Requests, row.Connections);
        }

        return true;
    }

    /// <summary>Reads every replica's figures; false (the last ones kept) when the store cannot be read.</summary>
    public bool Refresh()
    {
        try
        {
            _stored = _store.Residual();
            return true;
        }
        catch (StateStoreException)
        {
            return false;
        }
    }

    private static IEnumerable<(string Client, long Requests)> ParseTop(string lines)
    {
        foreach (var line in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.LastIndexOf(' ');
            if (space > 0 && long.TryParse(line.AsSpan(space + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var requests))
            {
                yield return (line[..space], requests);
            }
        }
    }
}

/// <summary>A cutover's residual figures over every replica, and per replica (<see cref="ReplicaResidual.TopClients"/> unused here).</summary>
internal sealed record ResidualFigures(long Requests, long Connections, DateTimeOffset? LastResidualAt, IReadOnlyList<ReplicaResidual> Replicas)
{
    /// <summary>Requests and connections together: what the drain rules count.</summary>
    public long Total => Requests + Connections;
}
