using DnsBridge.Events;

namespace DnsBridge.Admin;

/// <summary>
/// One cutover in the wave report: its drain milestones (from the persisted drain status), residual totals, the
/// alerts still waiting for a receiver, the last stored event and the verdict.
/// </summary>
internal sealed record WaveRow(
    string Name,
    IReadOnlyList<string> Hosts,
    DrainStatus Status,
    long ResidualTotal,
    long ResidualLastHour,
    DateTimeOffset? LastResidualAt,
    int PendingAlerts,
    string? TopUserAgent,
    CutoverEvent? LastEvent)
{
    public bool Drained => Status.State == DrainState.Drained;

    public string Verdict => CutoverReport.Verdict(Status);
}
