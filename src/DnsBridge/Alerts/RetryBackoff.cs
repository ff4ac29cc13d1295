namespace DnsBridge.Alerts;

/// <summary>
/// When the outbox tries an undelivered alert again: 1 s, 2 s, 4 s ... doubling up to 10 minutes, then every
/// 10 minutes for as long as it stays undelivered, each with ±20 % jitter so receivers coming back are not hit by
/// every replica and every alert in step.
/// </summary>
internal static class RetryBackoff
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Cap = TimeSpan.FromMinutes(10);
    public const double Jitter = 0.2;

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt.</summary>
    public static TimeSpan After(int attempts) => After(attempts, Random.Shared.NextDouble());

    /// <summary>The same with the jitter's draw given: <paramref name="unit"/> in [0, 1) maps to -20 % .. +20 %.</summary>
    public static TimeSpan After(int attempts, double unit)
    {
        // Pow overflows to infinity for large attempt counts, which Min turns into the cap: no overflow after months.
        var seconds = Math.Min(Cap.TotalSeconds, First.TotalSeconds * Math.Pow(2, Math.Max(0, attempts - 1)));
        return TimeSpan.FromSeconds(seconds * (1 - Jitter + (2 * Jitter * Math.Clamp(unit, 0, 1))));
    }
}
