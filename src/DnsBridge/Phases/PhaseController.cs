using System.Globalization;
using DnsBridge.Cluster;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Mirror;
using DnsBridge.Propagation;
using DnsBridge.State;

namespace DnsBridge.Phases;

/// <summary>
/// Keeps every cutover's phase: applies what the store holds (read at start, then every second on a state thread, so
/// a change written by any replica is applied everywhere within 2 s), changes it on request (rules and gate from
/// <see cref="PhaseRules"/>, the write and its <c>phase_changed</c> event in one store transaction), and with
/// <c>Switch.Auto: dns</c> switches a frozen cutover once DNS answers the target (the leader does, from the
/// propagation snapshot that raises <c>dns_switched</c>).
/// </summary>
internal sealed partial class PhaseController : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly ConfigMonitor _config;
    private readonly IPhaseStore _store;
    private readonly PhaseBoard _board;
    private readonly IMirrorReadiness _mirror;
    private readonly ILeadership _leadership;
    private readonly IPropagationView? _propagation;
    private readonly TimeProvider _time;
    private readonly ILogger<PhaseController> _logger;
    private readonly SemaphoreSlim _changing = new(1, 1);
    private IReadOnlyDictionary<string, StoredPhase> _stored = new Dictionary<string, StoredPhase>();
    private long _polls;

    public PhaseController(ConfigMonitor config, IPhaseStore store, PhaseBoard board, IMirrorReadiness mirror, ILeadership leadership, TimeProvider time,
        ILogger<PhaseController> logger, IPropagationView? propagation = null)
    {
        _config = config;
        _store = store;
        _board = board;
        _mirror = mirror;
        _leadership = leadership;
        _propagation = propagation;
        _time = time;
        _logger = logger;

        // At start, before the first request: the phase the store holds. Unreadable (PostgreSQL down): unknown, and
        // the request path holds like frozen until the poll reads it, rather than guess a side.
        try
        {
            Apply(_store.LoadPhases());
        }
        catch (StateStoreException e)
        {
            LogUnreadable(_logger, e.Message);
        }

        config.Changed += (_, _) => Apply(_stored);
    }

    /// <summary>Polls finished so far (tests wait on it).</summary>
    public long Polls => Interlocked.Read(ref _polls);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PollAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A bug here must not stop the host: the phases applied last stay, and the next tick tries again.
                    LogPollFailed(_logger, e);
                }

                Interlocked.Increment(ref _polls);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PollAsync()
    {
        try
        {
            Apply(await StateThreads.Run(_store.LoadPhases));
        }
        catch (StateStoreException)
        {
            // The phases applied last stay; the next poll reads again.
            return;
        }

        if (!_leadership.IsLeader)
        {
            return;
        }

        foreach (var cutover in _config.Current.Cutovers)
        {
            if (cutover.HasPhases && cutover.Switch.AutoOnDns && _board.PhaseOf(cutover) == CutoverPhase.Frozen
                && _propagation?.Latest(cutover.Name) is { Switched: true })
            {
                var result = await ChangeAsync(cutover.Name, CutoverPhase.Switched, PhaseRequesters.Auto, force: false);
                if (result.Outcome != PhaseChangeOutcome.Changed)
                {
                    LogAutoSwitchFailed(_logger, cutover.Name, result.Message);
                }
            }
        }
    }

    private void Apply(IReadOnlyDictionary<string, StoredPhase> stored)
    {
        _stored = stored;
        foreach (var cutover in _config.Current.Cutovers.Where(c => c.HasPhases))
        {
            var phase = stored.TryGetValue(cutover.Name, out var s) ? s.Phase : PhaseRules.Initial;
            var previous = _board.For(cutover.Name).Phase;
            if (_board.Set(cutover.Name, phase) && previous is not null)
            {
                LogApplied(_logger, cutover.Name, previous.Value.Label(), phase.Label());
            }
        }
    }

    /// <summary>The stored phase of a cutover and since when (null: never changed, so the initial phase since start).</summary>
    public StoredPhase? Stored(string cutover) => _stored.TryGetValue(cutover, out var s) ? s : null;

    /// <summary>
    /// Changes a cutover's phase: checked against the rules and, for a switch not forced, the readiness gate; stored
    /// only if nobody changed it meanwhile; applied here at once and by the other replicas at their next poll.
    /// </summary>
    public async Task<PhaseChangeResult> ChangeAsync(string name, CutoverPhase to, string by, bool force)
    {
        var cutover = _config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
        if (cutover is null)
        {
            return new(PhaseChangeOutcome.UnknownCutover, $"no cutover named '{name}'");
        }

        if (!cutover.HasPhases)
        {
            return new(PhaseChangeOutcome.BadRequest,
                $"{cutover.Name} has no SourceBackend: it is switched from the start and has no phases to change");
        }

        // One change at a time in this process; across replicas the store's check decides.
        await _changing.WaitAsync();
        try
        {
            IReadOnlyDictionary<string, StoredPhase> stored;
            try
            {
                stored = await StateThreads.Run(_store.LoadPhases);
            }
            catch (StateStoreException problem)
            {
                return new(PhaseChangeOutcome.Unavailable, $"the state store cannot be read: {problem.Message}");
            }

            Apply(stored);
            var hasRow = stored.TryGetValue(cutover.Name, out var current);
            var from = hasRow ? current!.Phase : PhaseRules.Initial;
            if (PhaseRules.Refusal(cutover.Name, from, to) is { } refusal)
            {
                return new(PhaseChangeOutcome.Refused, refusal, from, to);
            }

            var forced = false;
            if (to == CutoverPhase.Switched && by != PhaseRequesters.Auto)
            {
                var failures = PhaseRules.GateFailures(cutover.Switch.Require, _mirror.Readiness(cutover.Name));
                if (failures.Count > 0 && !force)
                {
                    return new(PhaseChangeOutcome.Refused,
                        $"{cutover.Name}: switch refused, the target is not ready (Switch.Require): {string.Join("; ", failures)}. Force overrides.",
                        from, to, Failures: failures);
                }

                forced = force && failures.Count > 0;
            }

            var now = _time.GetUtcNow();
            var text = string.Create(CultureInfo.InvariantCulture,
                $"{cutover.Name}: phase changed from {from.Label()} to {to.Label()} by {by}{(forced ? " (forced past the readiness gate)" : "")}: {Consequence(cutover, to)}");
            var fields = new System.Text.Json.Nodes.JsonObject { ["from"] = from.Label(), ["to"] = to.Label(), ["by"] = by, ["forced"] = forced };
            var e = new CutoverEvent(Guid.NewGuid().ToString("N"), cutover.Name, EventNames.PhaseChanged, now, text, fields.ToJsonString());
            var write = await StateThreads.Run(() => _store.Change(cutover.Name, from, !hasRow, to, e, _config.Current.Alerts.Receivers, now));
            switch (write)
            {
                case PhaseWrite.Conflict:
                    return new(PhaseChangeOutcome.Refused, $"{cutover.Name}: the phase was changed meanwhile (by another replica or request); read it and try again", from, to);
                case PhaseWrite.Failed:
                    return new(PhaseChangeOutcome.Unavailable, $"{cutover.Name}: the state store did not take the change; nothing changed");
                default:
                    break;
            }

            var after = new Dictionary<string, StoredPhase>(stored, StringComparer.Ordinal) { [cutover.Name] = new StoredPhase(to, now) };
            Apply(after);
            LogChanged(_logger, cutover.Name, from.Label(), to.Label(), by, forced);
            return new(PhaseChangeOutcome.Changed, text, from, to, forced);
        }
        finally
        {
            _changing.Release();
        }
    }

    private static string Consequence(CutoverConfig cutover, CutoverPhase to) => to switch
    {
        CutoverPhase.Rehearsal => $"requests go to the source backend {cutover.SourceBackend!.Address}:{cutover.SourceBackend.Port}",
        CutoverPhase.Frozen => string.Create(CultureInfo.InvariantCulture, $"requests are held up to {cutover.Freeze.Hold:c} until the switch"),
        CutoverPhase.Switched => $"requests go to the target {cutover.Target.Address}:{cutover.Target.Port}",
        _ => $"requests go to the source backend {cutover.SourceBackend!.Address}:{cutover.SourceBackend.Port} again; drain detection paused",
    };

    public override void Dispose()
    {
        _changing.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1700, Level = LogLevel.Warning, Message = "Cutover {Cutover}: phase changed from {From} to {To} by {By} (forced: {Forced})")]
    private static partial void LogChanged(ILogger logger, string cutover, string from, string to, string by, bool forced);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Cutover {Cutover}: phase {From} -> {To} applied from the state store")]
    private static partial void LogApplied(ILogger logger, string cutover, string from, string to);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "Phases cannot be read from the state store at start ({Problem}): requests of cutovers with a SourceBackend are held until they can")]
    private static partial void LogUnreadable(ILogger logger, string problem);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "Cutover {Cutover}: automatic switch at the DNS switch did not happen: {Reason}")]
    private static partial void LogAutoSwitchFailed(ILogger logger, string cutover, string reason);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Error, Message = "Phase poll failed; the phases applied last stay and the next poll tries again")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
