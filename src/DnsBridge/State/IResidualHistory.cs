namespace DnsBridge.State;

/// <summary>Residual traffic per cutover and minute: the report's hourly table and the long charts.</summary>
internal interface IResidualHistory
{
    /// <summary>Adds counts to their minutes (summed with what is there). False when the write failed: nothing was added.</summary>
    bool Add(IEnumerable<ResidualMinute> minutes);

    IReadOnlyList<ResidualMinute> Minutes(string cutover);
}

/// <summary>Residual arrivals of one cutover in one minute (<paramref name="Minute"/>: Unix time / 60).</summary>
internal readonly record struct ResidualMinute(string Cutover, long Minute, long Count)
{
    public DateTimeOffset Start => DateTimeOffset.FromUnixTimeSeconds(Minute * 60);
}
