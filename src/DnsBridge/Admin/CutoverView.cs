using DnsBridge.Alerts;
using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Forwarding;
using DnsBridge.Phases;
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
internal sealed class CutoverView(ConfigMonitor config, DrainDetector drain, ResidualAccounting residual, ClusterResidual cluster, IEventStore eventStore, NudgeRegistry nudges, TimeProvider time,
    IPropagationView? propagation = null, PhaseBoard? phases = null, PhaseController? phaseController = null)
{
    public IReadOnlyList<CutoverDocument> All() => [.. config.Current.Cutovers.Select(Describe)];

    public CutoverDocument? Get(string name) => config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) is { } c ? Describe(c) : null;

    /// <summary>
    /// <c>/api/summary</c>: one light row per cutover with the figures of <see cref="All"/> (the same helpers compute
    /// both), without the resolver table, series, top clients and events that make a full document kilobytes long.
    /// </summary>
    public IReadOnlyList<CutoverSummaryDocument> Summaries()
    {
        var now = time.GetUtcNow();
        return [.. config.Current.Cutovers.Select(cutover => Summarize(cutover, now))];
    }

    private CutoverSummaryDocument Summarize(CutoverConfig cutover, DateTimeOffset now)
    {
        var status = Status(cutover, now);
        var snapshot = propagation?.Latest(cutover.Name);
        var pending = eventStore.PendingAlerts(cutover.Name);
        return new(
            Name: cutover.Name,
            Hosts: cutover.Hosts,
            Phase: PhaseLabel(cutover),
            Drain: new(status.State.Label(), status.Since, status.StaleUntil),
            Propagation: snapshot is null ? null : new(
                At: snapshot.At,
                Ratio: Ratio(snapshot),
                Target: snapshot.Resolvers.Count(r => Recursive(r) && r.Answer == ResolverAnswer.Target),
                Answering: snapshot.Resolvers.Count(r => Recursive(r) && r.Answer != ResolverAnswer.Error),
                Resolvers: snapshot.Resolvers.Count(Recursive),
                Complete: snapshot.Complete,
                EtaSeconds: Eta(snapshot)),
            Residual: ResidualSummaryOf(cutover, now),
            PendingAlerts: pending.Count,
            FailedAlerts: pending.Count(p => p.Failed));
    }

    private ResidualSummaryDocument? ResidualSummaryOf(CutoverConfig cutover, DateTimeOffset now)
    {
        if (Counted(cutover) is not ({ } counter, { } figures))
        {
            return null;
        }

        var rates = ResidualRates.Of(counter, now);
        return new(figures.Total, figures.LastResidualAt, rates.PerMinute1m, rates.PerMinute15m, rates.PerMinute1h, rates.LastHour);
    }

    // The rows PropagationPoller.Summarize takes the ratio over: recursive resolvers (an error is asked, not answering).
    private static bool Recursive(ResolverResult result) => !result.Resolver.Authoritative;

    private static double Ratio(PropagationSnapshot snapshot) => Math.Round(snapshot.Ratio, 4);

    private static double Eta(PropagationSnapshot snapshot) => Math.Ceiling(snapshot.EtaSeconds);

    // A cutover without a drain status yet is pending since now.
    private DrainStatus Status(CutoverConfig cutover, DateTimeOffset now) => drain.Status(cutover.Name) ?? new DrainStatus { Since = now };

    private string PhaseLabel(CutoverConfig cutover) => phases?.PhaseOf(cutover).Label() ?? CutoverPhase.Switched.Label();

    // Residual figures exist once this replica counts the cutover; the totals are then cluster-wide.
    private (ResidualCounter Counter, ResidualFigures Figures)? Counted(CutoverConfig cutover) =>
        residual.TryGet(cutover.Name, out var counter) ? (counter, cluster.For(cutover.Name)) : null;

    private NudgeDocument Nudge(CutoverConfig cutover)
    {
        var nudge = nudges.For(cutover.Name);
        var s = nudge.Summary();
        return new(
            Enabled: cutover.Drain.Nudge,
            Active: cutover.Drain.Nudge && nudge.PropagationComplete,
            Connections: new(s.Http1, s.Http2, s.WebSocket, s.Tcp),
            ClientsNudged: s.ClientsNudged,
            ClientsStillArriving: s.ClientsStillArriving,
            ClientsStopped: s.ClientsStopped);
    }

    private CutoverDocument Describe(CutoverConfig cutover)
    {
        var now = time.GetUtcNow();
        var status = Status(cutover, now);
        var snapshot = propagation?.Latest(cutover.Name);
        return new(
            Name: cutover.Name,
            Hosts: cutover.Hosts,
            Target: new(cutover.Target.Address, cutover.Target.Port, cutover.Target.Scheme, cutover.Target.ServerName),
            SourceAddresses: cutover.SourceAddresses,
            Drain: new(
                State: status.State.Label(),
                Since: status.Since,
                DnsSwitchedAt: status.DnsSwitchedAt,
                PropagationCompleteAt: status.PropagationCompleteAt,
                StaleUntil: status.StaleUntil,
                QuietSince: status.QuietSince,
                QuietEndsAt: status.QuietSince + cutover.Drain.QuietPeriod,
                DrainedAt: status.DrainedAt,
                QuietPeriodSeconds: cutover.Drain.QuietPeriod.TotalSeconds,
                Threshold: cutover.Drain.Threshold,
                Nudge: cutover.Drain.Nudge),
            Propagation: snapshot is null ? null : new(
                At: snapshot.At,
                Ratio: Ratio(snapshot),
                EtaSeconds: Eta(snapshot),
                Complete: snapshot.Complete,
                Authoritative: snapshot.Authoritative is { } a ? PropagationMetrics.Label(a) : null,
                AuthoritativeDisagreement: snapshot.AuthoritativeDisagreement,
                AuthoritativeUnreachable: snapshot.AuthoritativeUnreachable,
                AuthoritativeUnreachableServers: [.. snapshot.UnreachableAuthoritativeServers.Select(r => new UnreachableServerDocument(r.Resolver.Name, r.Resolver.Address, r.Error, r.Detail))],
                Delegation: DelegationView.Of(snapshot.Delegation, status),
                Resolvers: [.. snapshot.Resolvers.Select(r => new ResolverRow(r))]),
            Residual: ResidualOf(cutover, now),
            Nudge: Nudge(cutover),
            Events: [.. eventStore.Events(cutover.Name, 50).Select(e => new EventDocument(e.Id, e.Event, e.At, e.Text, e.Fields is null ? null : System.Text.Json.Nodes.JsonNode.Parse(e.Fields) as System.Text.Json.Nodes.JsonObject))],
            PendingAlerts: [.. eventStore.PendingAlerts(cutover.Name).Select(p => new PendingAlertDocument(
                Event: p.Event,
                Id: p.Id,
                Receiver: WebhookDisplay.Receiver(p.Receiver),
                Webhook: p.Receiver == EmailConfig.ReceiverName && config.Current.Alerts.Email is { } mail ? mail.Display
                    : OutboxDispatcher.Resolve(config.Current.Alerts, p.Receiver) is { } w ? WebhookDisplay.Of(w.Url) : null,
                Attempts: p.Attempts,
                LastError: p.LastError,
                Failed: p.Failed,
                Since: p.Since,
                NextAttemptAt: p.Failed ? null : p.NextAttemptAt))],
            Phase: PhaseLabel(cutover),
            PhaseDetail: Phase(cutover));
    }

    private ResidualDocument? ResidualOf(CutoverConfig cutover, DateTimeOffset now)
    {
        if (Counted(cutover) is not ({ } counter, { } figures))
        {
            return null;
        }

        var rates = ResidualRates.Of(counter, now);
        var distinct = counter.DistinctClients(now);
        var nowMinute = now.ToUnixTimeSeconds() / 60;
        return new(
            Total: figures.Total,
            Requests: figures.Requests,
            Connections: figures.Connections,
            Excluded: counter.Excluded,
            LastRequestAt: figures.LastResidualAt,
            Replicas: [.. figures.Replicas.Select(r => new ReplicaResidualDocument(r.Replica, r.Requests, r.Connections, r.LastResidualAt))],
            PerMinute1m: rates.PerMinute1m,
            PerMinute15m: rates.PerMinute15m,
            PerMinute1h: rates.PerMinute1h,
            LastHour: rates.LastHour,
            Series: [.. counter.Minutes.Series(nowMinute, 60).Select(m => new MinuteDocument(DateTimeOffset.FromUnixTimeSeconds(m.Minute * 60), m.Count))],
            DistinctClients1h: distinct.Count,
            DistinctClientsEstimated: distinct.Estimated,
            TopClients: figures.Replicas.Count > 1
                ? [.. cluster.TopClients(cutover.Name, 10).Select(c => new TopClientDocument(c.Client, c.Requests, null, null))]
                : [.. counter.Clients.Top(10).Select(c => new TopClientDocument(c.Key.ToString(), c.Count, c.Error, c.LastSeen))],
            TopClientsByConnections: [.. counter.ConnectionClients.Top(10).Select(c => new TopConnectionClientDocument(c.Key.ToString(), c.Count, c.Error, c.LastSeen))],
            TopUserAgents: [.. counter.UserAgents.Top(10).Select(c => new TopUserAgentDocument(c.Key, c.Count, c.Error, c.LastSeen))]);
    }

    private PhaseDocument? Phase(CutoverConfig cutover)
    {
        if (cutover.SourceBackend is not { } source || phases is null)
        {
            return null;
        }

        var cell = phases.For(cutover.Name);
        return new PhaseDocument(
            Known: cell.Phase is not null,
            Since: phaseController?.Stored(cutover.Name)?.Since,
            Held: cell.Held,
            SourceBackend: new TargetDocument(source.Address, source.Port, source.Scheme, source.ServerName),
            FreezeHoldSeconds: cutover.Freeze.Hold.TotalSeconds,
            FreezeMaxHeld: cutover.Freeze.MaxHeld,
            SwitchAuto: cutover.Switch.Auto);
    }
}
