using DnsBridge.Residual;

namespace DnsBridge.Admin;

/// <summary>
/// A cutover's residual rates from its per-minute ring, as both the full document and the summary row show them
/// (per minute over the last 1, 15 and 60 minutes, and the last hour's count).
/// </summary>
internal readonly record struct ResidualRates(long PerMinute1m, double PerMinute15m, double PerMinute1h, long LastHour)
{
    public static ResidualRates Of(ResidualCounter counter, DateTimeOffset now)
    {
        var nowMinute = now.ToUnixTimeSeconds() / 60;
        var lastHour = counter.Minutes.Sum(nowMinute, 60);
        return new(counter.Minutes.Sum(nowMinute, 1), Math.Round(counter.Minutes.Sum(nowMinute, 15) / 15.0, 2), Math.Round(lastHour / 60.0, 2), lastHour);
    }
}
