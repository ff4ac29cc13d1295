namespace DnsBridge.Admin;

/// <summary>
/// A span the status page's charts show (<c>?range=1h|24h|7d</c>) and the bucket it sums stored minutes into, so a chart
/// has at most 168 bars whatever the span.
/// </summary>
internal sealed record HistoryRange(string Name, TimeSpan Span, int BucketMinutes)
{
    public static readonly IReadOnlyList<HistoryRange> All =
    [
        new("1h", TimeSpan.FromHours(1), 1),
        new("24h", TimeSpan.FromHours(24), 15),
        new("7d", TimeSpan.FromDays(7), 60),
    ];

    public static HistoryRange? Parse(string? name) =>
        name is null or "" ? All[0] : All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    public static string Names => string.Join(", ", All.Select(r => r.Name));
}
