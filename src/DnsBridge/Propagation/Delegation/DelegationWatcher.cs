using System.Collections.Concurrent;
using System.Net;
using DnsBridge.Configuration;
using DnsBridge.State;

namespace DnsBridge.Propagation.Delegation;

/// <summary>
/// The delegation side of a poll: the previous servers (configured, or the NS set remembered when the cutover was first
/// monitored once a different one shows up), asked like the authoritative ones, and the parent's delegation with its
/// NS TTL. Names of previous servers and the zone's parent are looked up once per config (start and reload).
/// </summary>
internal sealed partial class DelegationWatcher(DnsQuerier querier, TimeProvider time, IDelegationStore? store, ILogger logger)
{
    private readonly DelegationProbe _probe = new(querier);
    private readonly PropagationPoller _poller = new(querier, time);
    private readonly ConcurrentDictionary<string, IReadOnlyList<IPAddress>> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (string? Zone, IReadOnlyList<IPEndPoint> ParentServers)> _zones = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _switchedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _said = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RememberedNameServers> _remembered = new(StringComparer.Ordinal);

    /// <summary>A reload: names and zones are looked up again (the previous servers or the override may have changed).</summary>
    public void Forget()
    {
        _names.Clear();
        _zones.Clear();
    }

    /// <summary>
    /// When the cutover switched, as far as this process saw: the stored drain status's switch time when there is one
    /// (it survives restarts), else the first switched poll.
    /// </summary>
    public async Task<DateTimeOffset?> SwitchedAtAsync(string cutover, PropagationSnapshot snapshot, Func<Task<DateTimeOffset?>> stored)
    {
        if (_switchedAt.TryGetValue(cutover, out var at))
        {
            return at;
        }

        if (!snapshot.Switched)
        {
            return null;
        }

        return _switchedAt.GetOrAdd(cutover, await stored() ?? snapshot.At);
    }

    public async Task<DelegationSnapshot?> ProbeAsync(DnsBridgeConfig config, CutoverConfig cutover, IReadOnlyList<ResolverInfo> current, IReadOnlyList<ResolverInfo> recursive,
        SemaphoreSlim concurrency, CancellationToken cancellationToken)
    {
        var timeout = config.Propagation.Timeout;
        IReadOnlyList<IPEndPoint> resolvers = ResolverInfo.PlainEndPoints(recursive);
        var (previous, from) = cutover.Dns.PreviousNameServers.Count > 0
            ? (await ConfiguredAsync(cutover, resolvers, timeout, cancellationToken), DelegationSnapshot.FromConfig)
            : ((IReadOnlyList<ResolverInfo>)await RememberedAsync(cutover.Name, current), DelegationSnapshot.FromRemembered);

        // Checked at run time too: a discovered current server cannot be refused when the config is read.
        var overlap = previous.Where(p => current.Any(c => c.EndPoint.Equals(p.EndPoint))).ToList();
        if (overlap.Count > 0 && _said.TryAdd($"{cutover.Name} overlap", ""))
        {
            LogPreviousIsCurrent(logger, cutover.Name, string.Join(", ", overlap.Select(o => o.Address)));
        }

        previous = [.. previous.Except(overlap)];
        if (previous.Count == 0)
        {
            return null;
        }

        var answers = await _poller.PollAsync(cutover.Name, cutover.Hosts, cutover.Dns.Types, AnswerClassifier.For(cutover), previous, timeout, concurrency, cancellationToken);
        IReadOnlyList<IPEndPoint> currentEndPoints = [.. current.Select(c => c.EndPoint)];
        var (zone, parentServers) = await ZoneAsync(cutover, currentEndPoints, resolvers, timeout, cancellationToken);
        var (parentNames, ttl, parentError) = zone is null
            ? ([], null, "the zone of " + cutover.Hosts[0] + " was not found (no SOA)")
            : await _probe.ReferralAsync(zone, parentServers, timeout, cancellationToken);
        IReadOnlyList<string> currentNames = zone is null ? [] : await _probe.ZoneNameServersAsync(zone, currentEndPoints, timeout, cancellationToken);
        return new DelegationSnapshot(
            zone, zone is null ? null : DelegationProbe.Parent(zone), [.. parentServers.Select(p => p.ToString())], parentNames, ttl, parentError,
            currentNames.Count > 0 ? currentNames : [.. current.Select(c => c.Address)],
            [.. previous.Select(p => p.Name)], from, answers.Resolvers);
    }

    private async Task<(string? Zone, IReadOnlyList<IPEndPoint> ParentServers)> ZoneAsync(CutoverConfig cutover, IReadOnlyList<IPEndPoint> current, IReadOnlyList<IPEndPoint> resolvers,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_zones.TryGetValue(cutover.Name, out var known) && known.Zone is not null)
        {
            return known;
        }

        var zone = await _probe.ZoneAsync(cutover.Hosts[0], current, resolvers, timeout, cancellationToken);
        var parent = zone is null ? null : DelegationProbe.Parent(zone);
        IReadOnlyList<IPEndPoint> overrides = [.. cutover.Dns.ParentNameServers.Select(p => ConfigParsers.TryParseEndpoint(p, 53, out var e) ? e : null).OfType<IPEndPoint>()];
        var servers = parent is null ? [] : await _probe.ParentServersAsync(parent, overrides, resolvers, timeout, cancellationToken);
        return _zones[cutover.Name] = (zone, servers);
    }

    private async Task<IReadOnlyList<ResolverInfo>> ConfiguredAsync(CutoverConfig cutover, IReadOnlyList<IPEndPoint> resolvers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var servers = new List<ResolverInfo>();
        foreach (var entry in cutover.Dns.PreviousNameServers)
        {
            if (ConfigParsers.TryParseEndpoint(entry, 53, out var endPoint))
            {
                servers.Add(Previous(endPoint.ToString(), endPoint));
                continue;
            }

            if (!_names.TryGetValue(entry, out var addresses))
            {
                addresses = _names[entry] = await _probe.AddressesAsync(entry, resolvers, timeout, cancellationToken);
                if (addresses.Count == 0)
                {
                    LogPreviousUnresolved(logger, cutover.Name, entry);
                }
            }

            servers.AddRange(addresses.Select(a => Previous(entry, new IPEndPoint(a, 53))));
        }

        return servers;
    }

    /// <summary>
    /// Without configured previous servers: the first current set is remembered; a later set with none of its servers
    /// is a move, and the remembered servers become the previous ones.
    /// </summary>
    private async Task<List<ResolverInfo>> RememberedAsync(string cutover, IReadOnlyList<ResolverInfo> current)
    {
        if (store is null || current.Count == 0)
        {
            return [];
        }

        var now = current.Select(Entry).Order(StringComparer.Ordinal).ToList();

        // Written once per cutover and never changed after: read once, then kept (not a database read every poll). An
        // unreadable store leaves it unknown for this poll.
        if (!_remembered.TryGetValue(cutover, out var remembered))
        {
            try
            {
                remembered = await StateThreads.Run(() => store.Remembered(cutover));
            }
            catch (StateStoreException)
            {
                return [];
            }

            if (remembered is null)
            {
                var first = new RememberedNameServers(cutover, now, time.GetUtcNow());
                if (await StateThreads.Run(() => store.Remember(first)))
                {
                    _remembered[cutover] = first;
                }

                return [];
            }

            _remembered[cutover] = remembered;
        }

        // A provider move replaces every server; a secondary added, dropped or swapped (a lagging one replaced in
        // Resolvers:AuthoritativeServers) keeps some, and is not a move: its old servers would hold propagation for days.
        var remembering = remembered.Servers.Select(Parse).OfType<ResolverInfo>().ToList();
        if (remembering.Any(r => current.Any(c => c.EndPoint.Equals(r.EndPoint))))
        {
            return [];
        }

        var moved = remembering;
        if (moved.Count > 0 && _said.TryAdd($"{cutover} moved {string.Join(",", now)}", ""))
        {
            LogDelegationMoved(logger, cutover, string.Join(", ", remembered.Servers), string.Join(", ", now));
        }

        return moved;
    }

    /// <summary>"name address" as remembered: the NS name where it was discovered (else the address) and where it listens.</summary>
    private static string Entry(ResolverInfo server) => $"{(server.Operator is "zone" ? server.Address : server.Operator)} {server.Address}";

    private static ResolverInfo? Parse(string entry) => entry.Split(' ') is [var name, var address] && ConfigParsers.TryParseEndpoint(address, 53, out var endPoint)
        ? Previous(name, endPoint)
        : null;

    private static ResolverInfo Previous(string name, IPEndPoint endPoint) => new(name, endPoint, "previous", name, Authoritative: true);

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Cutover {Cutover}: previous name server(s) {Servers} are also current authoritative servers; they are asked as current ones only")]
    private static partial void LogPreviousIsCurrent(ILogger logger, string cutover, string servers);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Cutover {Cutover}: the previous name server {Server} has no address; it is not asked")]
    private static partial void LogPreviousUnresolved(ILogger logger, string cutover, string server);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "Cutover {Cutover}: the zone's name servers moved from {Previous} to {Current}; the previous servers are asked as long as old delegations may be cached")]
    private static partial void LogDelegationMoved(ILogger logger, string cutover, string previous, string current);
}
