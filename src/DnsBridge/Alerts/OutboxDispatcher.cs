using System.Collections.Concurrent;
using DnsBridge.Alerts.Email;
using DnsBridge.Alerts.Formats;
using DnsBridge.Cluster;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Jobs;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Alerts;

/// <summary>
/// Delivers events from the persistent outbox to every receiver: webhooks in their format (<see cref="WebhookSender"/>)
/// with an <c>Idempotency-Key</c> header equal to the event id, and email (<see cref="EmailSender"/>); capped exponential backoff with jitter
/// (<see cref="RetryBackoff"/>) for as long as the receiver fails or is down (across restarts, since the outbox is in
/// the state store), bounded only by <c>Alerts:GiveUpAfter</c>; no retry storm on 4xx. Rows name their receiver and
/// its URL is looked up at send time, so an edited URL (a rotated token) gets the rows queued before the edit. Header
/// values (tokens) are sent, never logged; a URL is logged only as <see cref="WebhookDisplay"/> shows it.
/// </summary>
internal sealed partial class OutboxDispatcher : BackgroundService
{
    private readonly IEventStore _events;
    private readonly IStateDatabase _database;
    private readonly Func<DnsBridgeConfig> _config;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly WebhookSender _webhooks;
    private readonly EmailSender _email;
    private readonly Counter _sent;
    private readonly Counter _failures;

    // Outcomes the store could not record yet (read-only, full or locked): their rows still read as due, so nothing is
    // sent until they are written, or a delivered alert would be sent again every second.
    private readonly ConcurrentDictionary<(string EventId, string Receiver), Func<bool>> _unrecorded = new();
    private bool _outboxUnreadable;
    private readonly ILeadership? _leadership;

    /// <summary>In <c>serve</c>: only the leader of a cluster delivers (a follower's loop waits until it leads).</summary>
    public OutboxDispatcher(IEventStore events, IStateDatabase database, ConfigMonitor config, IMetricFactory metrics, TimeProvider time, ILogger<OutboxDispatcher> logger,
        ILeadership leadership, HttpMessageHandler? handler = null)
        : this(events, database, () => config.Current, metrics, time, logger, handler)
    {
        _leadership = leadership;
    }

    /// <summary>For one-shot use outside <c>serve</c> (<c>preflight --send-test-alert</c>), with a fixed config.</summary>
    public OutboxDispatcher(IEventStore events, IStateDatabase database, Func<DnsBridgeConfig> config, IMetricFactory metrics, TimeProvider time, ILogger<OutboxDispatcher> logger,
        HttpMessageHandler? handler = null)
    {
        _events = events;
        _database = database;
        _config = config;
        _time = time;
        _logger = logger;
        _http = new HttpClient(handler ?? WebhookHandler.Create()) { Timeout = TimeSpan.FromSeconds(10) };
        _webhooks = new WebhookSender(_http, time);
        _email = new EmailSender(time);
        _failures = JobFailures.Counter(metrics);
        _sent = metrics.CreateCounter("dnsbridge_alerts_sent_total", "Webhook deliveries by event and outcome (delivered, retry, rejected, failed).", ["event", "outcome"]);
        foreach (var e in EventNames.All.Append(EventNames.TestAlert))
        {
            foreach (var outcome in Outcomes)
            {
                _sent.WithLabels(e, outcome).Publish();
            }
        }
    }

    public static readonly IReadOnlyList<string> Outcomes = ["delivered", "retry", "rejected", "failed"];

    // How long a claimed outbox row stays ours: longer than the slowest single attempt (email: 30 s for the whole
    // SMTP exchange; a webhook: the client's 10 s) plus writing its outcome, so a deposed leader still sending
    // cannot see its row taken over mid-attempt; short enough that a new leader retakes a dead one's rows within a minute.
    private static readonly TimeSpan ClaimLease = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_leadership?.IsLeader != false)
            {
                try
                {
                    await DeliverDueAsync(stoppingToken);
                    failures = 0;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // The rows stay in the outbox and are tried again: never a reason to stop the process (and the forwarding).
                    failures++;
                    JobFailures.Record(_failures, _logger, "outbox", e);
                }
            }

            try
            {
                await Task.Delay(JobFailures.Backoff(TimeSpan.FromSeconds(1), failures), _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends every delivery that is due now (the loop calls it every second).</summary>
    public async Task DeliverDueAsync(CancellationToken cancellationToken)
    {
        if (!await StateThreads.Run(RecordHeldOutcomes))
        {
            return;
        }

        IReadOnlyList<Delivery> due;
        try
        {
            // Claimed in the database, not just read: a deposed leader racing the new one cannot send the same row.
            var now = _time.GetUtcNow();
            var claimant = _config().Cluster.ReplicaName;
            due = await StateThreads.Run(() => _events.ClaimDue(now, claimant, now + ClaimLease));
            if (_outboxUnreadable)
            {
                _outboxUnreadable = false;
                LogOutboxReadable(_logger, _database.Location);
            }
        }
        catch (StateStoreException e)
        {
            // Once per failure, not every second; the next second tries again.
            if (!_outboxUnreadable)
            {
                _outboxUnreadable = true;
                LogOutboxUnreadable(_logger, _database.Location, e.InnerException?.Message ?? e.Message);
            }

            return;
        }

        await Task.WhenAll(due.Select(d => DeliverAsync(d, cancellationToken)));
    }

    /// <summary>Outcomes the store could not record when they happened (it failed), waiting for their write.</summary>
    public int UnrecordedOutcomes => _unrecorded.Count;

    /// <summary>
    /// Writes the held outcomes; false at the first that still fails (each failed write holds the store for its lock
    /// timeout, so one is enough to know). Nothing new is sent meanwhile: the rows would read as due.
    /// </summary>
    private bool RecordHeldOutcomes()
    {
        foreach (var (key, write) in _unrecorded)
        {
            if (!write())
            {
                return false;
            }

            _unrecorded.TryRemove(key, out _);
        }

        return true;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // A held outcome lost here would make the next start send a delivered alert again.
        RecordHeldOutcomes();
    }

    /// <summary>
    /// Puts a clearly marked test event in the outbox for every receiver (webhooks and email), delivers it once through the same path as
    /// real events, and gives it up where that attempt did not succeed: a test must not be retried for hours.
    /// </summary>
    public async Task<IReadOnlyList<OutboxRow>> SendTestAlertAsync(string cutover, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var e = new CutoverEvent($"test-{Guid.NewGuid():N}", cutover, EventNames.TestAlert, now,
            $"TEST alert from dnsbridge preflight for {cutover}: checks that this receiver gets DnsBridge alerts; no action needed");
        var receivers = _config().Alerts.Receivers.ToList();
        if (!_events.AppendTest(e, receivers, now))
        {
            throw new StateStoreException($"cannot write the test alert to the state store {_database.Location}: {_database.Problem()}");
        }

        var outcomes = await Task.WhenAll(receivers.Select(r => DeliverAsync(new Delivery(e.Id, r, 0, e), cancellationToken)));
        var done = _time.GetUtcNow();
        foreach (var retry in outcomes.Where(o => o.DeliveredAt is null && o.FailedAt is null))
        {
            Record(e.Id, retry.Receiver, () => _events.GiveUp(e.Id, retry.Receiver, done));
        }

        return [.. outcomes.Select(o => o.DeliveredAt is null ? o with { FailedAt = o.FailedAt ?? done } : o)];
    }

    private void Record(string eventId, string receiver, Func<bool> write)
    {
        if (!write())
        {
            _unrecorded[(eventId, receiver)] = write;
        }
    }

    /// <summary>One attempt; returns the outbox row as it stands after it (whether or not the store could record it).</summary>
    private async Task<OutboxRow> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var e = delivery.Event;
        var config = _config();
        var message = AlertMessage.Of(e, config.Cutover(e.Cutover));
        string name;
        string shown;
        SendOutcome outcome;
        try
        {
            if (string.Equals(delivery.Receiver, EmailConfig.ReceiverName, StringComparison.OrdinalIgnoreCase) && config.Alerts.Email is { } email)
            {
                (name, shown) = (EmailConfig.ReceiverName, email.Display);
                outcome = await _email.SendAsync(email, message, cancellationToken);
            }
            else if (Resolve(config.Alerts, delivery.Receiver) is { } webhook)
            {
                (name, shown) = (webhook.Name, WebhookDisplay.Of(webhook.Url));
                outcome = await _webhooks.SendAsync(webhook, message, cancellationToken);
            }
            else
            {
                return await StateThreads.Run(() =>
                {
                    var at = _time.GetUtcNow();
                    Record(e.Id, delivery.Receiver, () => _events.MarkFailed(e.Id, delivery.Receiver, at, "receiver no longer configured"));
                    _sent.WithLabels(e.Event, "failed").Inc();
                    LogUnconfigured(_logger, e.Event, e.Cutover, WebhookDisplay.Receiver(delivery.Receiver));
                    return new OutboxRow(delivery.Receiver, delivery.Attempts + 1, "receiver no longer configured", null, at);
                });
            }
        }
        catch (Exception x) when (x is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A sender that throws what it should have answered (a library's exception nobody mapped) is a failed
            // attempt of this row, retried with backoff like any other: never a crash, never a lost alert.
            (name, shown) = (delivery.Receiver, WebhookDisplay.Receiver(delivery.Receiver));
            outcome = new SendOutcome(SendVerdict.Retry, $"{x.GetType().Name}: {x.Message}");
        }

        // The outcome is written to the store: on a state thread, never on the socket's completion thread (SocketTuning).
        return await StateThreads.Run(() => Conclude(delivery, config, outcome, name, shown));
    }

    private OutboxRow Conclude(Delivery delivery, DnsBridgeConfig config, SendOutcome outcome, string name, string shown)
    {
        var e = delivery.Event;
        if (outcome.Verdict == SendVerdict.Delivered)
        {
            var at = _time.GetUtcNow();
            Record(e.Id, delivery.Receiver, () => _events.MarkDelivered(e.Id, delivery.Receiver, at));
            _sent.WithLabels(e.Event, "delivered").Inc();
            LogDelivered(_logger, e.Event, e.Cutover, name, shown, delivery.Attempts + 1);
            return new OutboxRow(delivery.Receiver, delivery.Attempts + 1, null, at, null);
        }

        var problem = outcome.Problem ?? "failed";
        var now = _time.GetUtcNow();
        if (outcome.Verdict == SendVerdict.Rejected)
        {
            Record(e.Id, delivery.Receiver, () => _events.MarkFailed(e.Id, delivery.Receiver, now, problem));
            _sent.WithLabels(e.Event, "rejected").Inc();
            LogRejected(_logger, e.Event, e.Cutover, name, shown, problem);
            return new OutboxRow(delivery.Receiver, delivery.Attempts + 1, problem, null, now);
        }

        // Only the operator's bound ends the retries: the last try is made at the deadline itself, and a failure there is final.
        var deadline = config.Alerts.GiveUpAfter is { } giveUp ? e.At + giveUp : (DateTimeOffset?)null;
        if (now >= deadline)
        {
            var final = $"{problem}; given up after Alerts:GiveUpAfter {config.Alerts.GiveUpAfter}";
            Record(e.Id, delivery.Receiver, () => _events.MarkFailed(e.Id, delivery.Receiver, now, final));
            _sent.WithLabels(e.Event, "failed").Inc();
            LogGaveUp(_logger, e.Event, e.Cutover, name, shown, delivery.Attempts + 1, final);
            return new OutboxRow(delivery.Receiver, delivery.Attempts + 1, final, null, now);
        }

        // A receiver that names its wait (Retry-After, DingTalk's ten-minute block) gets at least that.
        var backoff = RetryBackoff.After(delivery.Attempts + 1);
        var next = now + (outcome.RetryAfter is { } asked && asked > backoff ? asked : backoff);
        next = deadline is { } last && next > last ? last : next;
        Record(e.Id, delivery.Receiver, () => _events.MarkRetry(e.Id, delivery.Receiver, next, problem));
        _sent.WithLabels(e.Event, "retry").Inc();
        LogRetry(_logger, e.Event, e.Cutover, name, shown, problem, delivery.Attempts + 1, next);
        return new OutboxRow(delivery.Receiver, delivery.Attempts + 1, problem, null, null);
    }

    /// <summary>
    /// The webhook an outbox row goes to: by name (what rows hold), else by the exact URL (rows of a release before
    /// names, which held the URL), else the only webhook on that URL's host (such a row after its URL was edited).
    /// Null when none fits, or when several webhooks share that host and the row cannot say which.
    /// </summary>
    public static WebhookConfig? Resolve(AlertsConfig alerts, string receiver)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var byName = alerts.Webhooks.FirstOrDefault(w => string.Equals(w.Name, receiver, StringComparison.OrdinalIgnoreCase))
            ?? alerts.Webhooks.FirstOrDefault(w => w.Url == receiver);
        if (byName is not null || WebhookConfig.DefaultName(receiver) is not { Length: > 0 } host)
        {
            return byName;
        }

        var sameHost = alerts.Webhooks.Where(w => string.Equals(WebhookConfig.DefaultName(w.Url), host, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        return sameHost.Count == 1 ? sameHost[0] : null;
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Alert {Event} of {Cutover} delivered to {Receiver} ({Webhook}), attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string @event, string cutover, string receiver, string webhook, int attempt);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Alert {Event} of {Cutover} to {Receiver} ({Webhook}) failed ({Problem}), attempt {Attempt}; next try at {Next}")]
    private static partial void LogRetry(ILogger logger, string @event, string cutover, string receiver, string webhook, string problem, int attempt, DateTimeOffset next);

    [LoggerMessage(EventId = 702, Level = LogLevel.Error, Message = "Alert {Event} of {Cutover} rejected by {Receiver} ({Webhook}): {Problem}; not retried: check the receiver's configuration")]
    private static partial void LogRejected(ILogger logger, string @event, string cutover, string receiver, string webhook, string problem);

    [LoggerMessage(EventId = 703, Level = LogLevel.Error, Message = "Alert {Event} of {Cutover} to {Receiver} ({Webhook}) failed after {Attempts} attempts: {Problem}")]
    private static partial void LogGaveUp(ILogger logger, string @event, string cutover, string receiver, string webhook, int attempts, string problem);

    [LoggerMessage(EventId = 706, Level = LogLevel.Error, Message = "Alert {Event} of {Cutover} to {Receiver} not sent: no webhook of that name is configured any more")]
    private static partial void LogUnconfigured(ILogger logger, string @event, string cutover, string receiver);

    [LoggerMessage(EventId = 704, Level = LogLevel.Error, Message = "Alert outbox in {Path} cannot be read ({Problem}); alerts wait until it can")]
    private static partial void LogOutboxUnreadable(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 705, Level = LogLevel.Information, Message = "Alert outbox in {Path} can be read again")]
    private static partial void LogOutboxReadable(ILogger logger, string path);
}
