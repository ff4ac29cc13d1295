namespace DnsBridge.Admin;

// The JSON of /api/summary (see CutoverView.Summaries): one light row per cutover for the wave overview and
// `dnsbridge status`, a few hundred bytes whatever the number of resolvers. The figures are those of
// /api/cutovers, computed by the same code, under the same field names; what only the cutover page needs (the
// resolver table, series, top clients, events) is left out. Like CutoverDocument, the names are the API's.

/// <summary>One cutover in <c>/api/summary</c>.</summary>
internal sealed record CutoverSummaryDocument(
    string Name,
    IReadOnlyList<string> Hosts,
    string Phase,
    DrainSummaryDocument Drain,
    PropagationSummaryDocument? Propagation,
    ResidualSummaryDocument? Residual,
    int PendingAlerts,
    int FailedAlerts);

/// <summary>The drain state, since when, and when the last stale cache must have expired (from the TTLs seen).</summary>
internal sealed record DrainSummaryDocument(string State, DateTimeOffset Since, DateTimeOffset? StaleUntil);

/// <summary>
/// The latest poll's share: <c>target</c> of the <c>answering</c> recursive resolvers answer the target (<c>ratio</c>),
/// of <c>resolvers</c> asked (the rest answered with an error); <c>etaSeconds</c> until the stale caches it saw expire.
/// </summary>
internal sealed record PropagationSummaryDocument(
    DateTimeOffset At,
    double Ratio,
    int Target,
    int Answering,
    int Resolvers,
    bool Complete,
    double EtaSeconds);

/// <summary>Residual totals (cluster-wide, as in <c>/api/cutovers</c>) and this replica's rates.</summary>
internal sealed record ResidualSummaryDocument(
    long Total,
    DateTimeOffset? LastRequestAt,
    long PerMinute1m,
    double PerMinute15m,
    double PerMinute1h,
    long LastHour);
