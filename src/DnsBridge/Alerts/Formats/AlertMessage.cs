using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Events;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// What every channel renders, taken from one stored event and its cutover's configuration as it stands: each format
/// and email show the same facts, only shaped for the receiver.
/// </summary>
internal sealed record AlertMessage(string Id, string Event, string Cutover, DateTimeOffset At, string Text, IReadOnlyList<string>? Hosts, string? Target,
    string? Fields = null)
{
    public static AlertMessage Of(CutoverEvent e, CutoverConfig? cutover)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new AlertMessage(e.Id, e.Event, e.Cutover, e.At, e.Text, cutover?.Hosts,
            cutover is null ? null : $"{cutover.Target.Scheme}://{cutover.Target.Address}:{cutover.Target.Port}", e.Fields);
    }

    /// <summary>The event in words, for headers and subjects ("Drain complete").</summary>
    public string Title => Event switch
    {
        EventNames.DnsSwitched => "DNS switched",
        EventNames.PropagationComplete => "Propagation complete",
        EventNames.DrainComplete => "Drain complete",
        EventNames.DrainRegressed => "Drain regressed",
        EventNames.TargetUnhealthy => "Target unhealthy",
        EventNames.PhaseChanged => "Phase changed",
        EventNames.TestAlert => "TEST alert",
        _ => Event,
    };

    /// <summary>Good news (green), bad news (red), or neither: chat cards colour their header by it.</summary>
    public string Tone => Event switch
    {
        EventNames.DrainComplete or EventNames.PropagationComplete => "good",
        EventNames.DrainRegressed or EventNames.TargetUnhealthy => "bad",
        _ => "neutral",
    };

    public string AtText => At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public string AtIso => At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public string HostsText => Hosts is { Count: > 0 } h ? string.Join(", ", h) : "-";

    /// <summary>The one-line summary chat tools show in notifications and previews.</summary>
    public string Summary => $"DnsBridge {Cutover}: {Title}: {Text}";
}
