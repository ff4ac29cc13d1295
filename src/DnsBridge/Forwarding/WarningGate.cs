namespace DnsBridge.Forwarding;

/// <summary>
/// Lets a warning that can come with every request through at most once per interval, and counts the ones it held
/// back so the next warning says how many there were: a forwarding loop under load would otherwise write a warning
/// per request, and a log that floods hides everything else an operator needs on cutover day. The metric still
/// counts each one.
/// </summary>
internal sealed class WarningGate(TimeProvider time, TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _next = long.MinValue;
    private long _heldBack;

    /// <summary>True when this warning may be written; <paramref name="heldBack"/> is how many were held back since the last one written.</summary>
    public bool TryPass(out long heldBack)
    {
        var now = time.GetTimestamp();
        var next = Volatile.Read(ref _next);
        if (now >= next && Interlocked.CompareExchange(ref _next, now + _intervalTicks, next) == next)
        {
            heldBack = Interlocked.Exchange(ref _heldBack, 0);
            return true;
        }

        Interlocked.Increment(ref _heldBack);
        heldBack = 0;
        return false;
    }
}
