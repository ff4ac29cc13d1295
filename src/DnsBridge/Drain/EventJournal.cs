using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.State;

namespace DnsBridge.Drain;

/// <summary>
/// Raises a cutover's events: each is written with one outbox row per configured receiver (and, for a drain
/// transition, the new status) in one store transaction, and logged only once stored. Rows name their receiver
/// (<c>Alerts:Webhooks[].Name</c>, or <c>email</c>), never its URL: the URL may be edited while they wait.
/// </summary>
internal sealed partial class EventJournal(IEventStore store, ConfigMonitor config, ILogger<EventJournal> logger)
{
    /// <summary>False when the store could not take it: nothing was stored, and the caller tries again later.</summary>
    public bool Raise(string cutover, string name, string text, DateTimeOffset now, DrainStatus? status = null)
    {
        var e = new CutoverEvent(Guid.NewGuid().ToString("N"), cutover, name, now, text);
        if (!store.Append(e, status, config.Current.Alerts.Receivers, now))
        {
            return false;
        }

        LogEvent(logger, cutover, name, text);
        return true;
    }

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Cutover {Cutover}: event {Event}: {Text}")]
    private static partial void LogEvent(ILogger logger, string cutover, string @event, string text);
}
