using DnsBridge.Alerts;
using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Forwarding;
using DnsBridge.Propagation;
using DnsBridge.Residual;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>
/// The JSON of <c>/api/cutovers/{name}</c>, which the status page renders as is: drain state with its clocks,
/// propagation per resolver, residual traffic with rates and top stale clients, recent events, pending alerts.
/// Nothing secret (no webhook URL or header) is ever part of it: a webhook is shown as <see cref="WebhookDisplay"/> does.
/// Top clients and user agents come from a Space-Saving summary: <c>requests</c> overestimates by at most
/// <c>error</c> (0: exact). <c>distinctClients1h</c> is exact until more clients arrived than the summary holds, then
/// a HyperLogLog estimate (<c>distinctClientsEstimated</c> says which). In a cluster the totals and top clients are
/// over every replica (<c>residual.replicas</c> breaks the totals down); rates, distinct clients and user agents are
/// this replica's.
/// </summary>
public sealed class CutoverView(ConfigMonitor config, DrainDetector drain, ResidualAccounting residual, ClusterResidual cluster, IEventStore eventStore, NudgeRegistry nudges, TimeProvider time,
    IPropagationView? propagation = null)
{
    public IReadOnlyList<object> All() => [.. config.Current.Cutovers.Select(Describe)];

    public object? Get(string name) => config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) is { } c ? Describe(c) : null;

    private object Nudge(CutoverConfig cutover)
    {
        var nudge = nudges.For(cutover.Name);
        var s = nudge.Summary();
        return new
        {
            enabled = cutover.Drain.Nudge,
            active = cutover.Drain.Nudge && nudge.PropagationComplete,
            connections = new { http1 = s.Http1, http2 = s.Http2, websocket = s.WebSocket, tcp = s.Tcp },
            clientsNudged = s.ClientsNudged,
            clientsStillArriving = s.ClientsStillArriving,
            clientsStopped = s.ClientsStopped,
        };
    }

    private object Describe(CutoverConfig cutover)
    {
        var now = time.GetUtcNow();
        var status = drain.Status(cutover.Name) ?? new DrainStatus { Since = now };
        var snapshot = propagation?.Latest(cutover.Name);
        residual.TryGet(cutover.Name, out var counter);
        var nowMinute = now.ToUnixTimeSeconds() / 60;
        var distinct = counter?.DistinctClients(now) ?? default;
        var figures = cluster.For(cutover.Name);
        return new
        {
            name = cutover.Name,
            hosts = cutover.Hosts,
            target = new { address = cutover.Target.Address, port = cutover.Target.Port, scheme = cutover.Target.Scheme, serverName = cutover.Target.ServerName },
            sourceAddresses = cutover.SourceAddresses,
            drain = new
            {
                state = status.State.Label(),
                since = status.Since,
                dnsSwitchedAt = status.DnsSwitchedAt,
                propagationCompleteAt = status.PropagationCompleteAt,
                staleUntil = status.StaleUntil,
                quietSince = status.QuietSince,
                quietEndsAt = status.QuietSince + cutover.Drain.QuietPeriod,
                drainedAt = status.DrainedAt,
                quietPeriodSeconds = cutover.Drain.QuietPeriod.TotalSeconds,
                threshold = cutover.Drain.Threshold,
                nudge = cutover.Drain.Nudge,
            },
            propagation = snapshot is null ? null : new
            {
                at = snapshot.At,
                ratio = Math.Round(snapshot.Ratio, 4),
                etaSeconds = Math.Ceiling(snapshot.EtaSeconds),
                complete = snapshot.Complete,
                authoritative = snapshot.Authoritative is { } a ? PropagationMetrics.Label(a) : null,
                authoritativeDisagreement = snapshot.AuthoritativeDisagreement,
                authoritativeUnreachable = snapshot.AuthoritativeUnreachable,
                authoritativeUnreachableServers = snapshot.UnreachableAuthoritativeServers.Select(r => new { name = r.Resolver.Name, resolver = r.Resolver.Address, error = r.Error, detail = r.Detail }),
                delegation = DelegationView.Of(snapshot.Delegation, status),
                resolvers = snapshot.Resolvers.Select(r => new
                {
                    name = r.Resolver.Name,
                    resolver = r.Resolver.Address,
                    region = r.Resolver.Region,
                    @operator = r.Resolver.Operator,
                    transport = r.Resolver.Via.Transport,
                    pop = r.Pop,
                    clientSubnet = r.Resolver.Subnet?.ToString(),
                    subnetScope = r.SubnetScope,
                    ignoresClientSubnet = r.IgnoresClientSubnet,
                    vantage = r.Resolver.Vantage,
                    authoritative = r.Resolver.Authoritative,
                    answer = PropagationMetrics.Label(r.Answer),
                    addresses = r.Addresses,
                    cnames = r.Cnames,
                    ttl = r.Ttl,
                    error = r.Error,
                    detail = r.Detail,
                    checkedAt = r.CheckedAt,
                    latencyMs = Math.Round(r.Latency.TotalMilliseconds, 1),
                    soaSerial = r.SoaSerial,
                    location = r.Resolver.Location is { } l ? new { city = l.City, latitude = l.Latitude, longitude = l.Longitude } : null,
                }),
            },
            residual = counter is null ? null : new
            {
                total = figures.Total,
                requests = figures.Requests,
                connections = figures.Connections,
                excluded = counter.Excluded,
                lastRequestAt = figures.LastResidualAt,
                replicas = figures.Replicas.Select(r => new { name = r.Replica, requests = r.Requests, connections = r.Connections, lastRequestAt = r.LastResidualAt }),
                perMinute1m = counter.Minutes.Sum(nowMinute, 1),
                perMinute15m = Math.Round(counter.Minutes.Sum(nowMinute, 15) / 15.0, 2),
                perMinute1h = Math.Round(counter.Minutes.Sum(nowMinute, 60) / 60.0, 2),
                lastHour = counter.Minutes.Sum(nowMinute, 60),
                series = counter.Minutes.Series(nowMinute, 60).Select(m => new { minute = DateTimeOffset.FromUnixTimeSeconds(m.Minute * 60), count = m.Count }),
                distinctClients1h = distinct.Count,
                distinctClientsEstimated = distinct.Estimated,
                topClients = figures.Replicas.Count > 1
                    ? cluster.TopClients(cutover.Name, 10).Select(c => new { client = c.Client, requests = c.Requests, error = (long?)null, lastSeen = (DateTimeOffset?)null })
                    : counter.Clients.Top(10).Select(c => new { client = c.Key.ToString(), requests = c.Count, error = (long?)c.Error, lastSeen = (DateTimeOffset?)c.LastSeen }),
                topClientsByConnections = counter.ConnectionClients.Top(10).Select(c => new { client = c.Key.ToString(), connections = c.Count, error = c.Error, lastSeen = c.LastSeen }),
                topUserAgents = counter.UserAgents.Top(10).Select(c => new { userAgent = c.Key, requests = c.Count, error = c.Error, lastSeen = c.LastSeen }),
            },
            nudge = Nudge(cutover),
            events = eventStore.Events(cutover.Name, 50).Select(e => new { id = e.Id, @event = e.Event, at = e.At, text = e.Text }),
            pendingAlerts = eventStore.PendingAlerts(cutover.Name).Select(p => new
            {
                @event = p.Event,
                id = p.Id,
                receiver = WebhookDisplay.Receiver(p.Receiver),
                webhook = p.Receiver == EmailConfig.ReceiverName && config.Current.Alerts.Email is { } mail ? mail.Display
                    : WebhookDispatcher.Resolve(config.Current.Alerts, p.Receiver) is { } w ? WebhookDisplay.Of(w.Url) : null,
                attempts = p.Attempts,
                lastError = p.LastError,
                failed = p.Failed,
                since = p.Since,
                nextAttemptAt = p.Failed ? (DateTimeOffset?)null : p.NextAttemptAt,
            }),
        };
    }
}
