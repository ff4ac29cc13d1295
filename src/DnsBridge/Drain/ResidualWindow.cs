namespace DnsBridge.Drain;

/// <summary>
/// The residual total sampled once per tick over the last minute or so, to answer "how many residual arrivals in
/// the trailing window": the drain state machine's test for entering quiet.
/// </summary>
internal sealed class ResidualWindow
{
    private static readonly TimeSpan Kept = DrainStateMachine.MaxQuietEntryWindow + TimeSpan.FromSeconds(5);
    private readonly Queue<(DateTimeOffset At, long Total)> _samples = new();

    public void Add(DateTimeOffset now, long total)
    {
        _samples.Enqueue((now, total));
        while (_samples.Count > 0 && now - _samples.Peek().At > Kept)
        {
            _samples.Dequeue();
        }
    }

    /// <summary>Arrivals in the trailing <paramref name="window"/>; null until a whole window has been watched.</summary>
    public long? In(DateTimeOffset now, TimeSpan window, long total)
    {
        (DateTimeOffset At, long Total)? start = null;
        foreach (var sample in _samples)
        {
            if (now - sample.At <= window)
            {
                break;
            }

            start = sample;
        }

        return start is null ? null : total - start.Value.Total;
    }
}
