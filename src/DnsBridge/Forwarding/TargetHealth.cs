namespace DnsBridge.Forwarding;

/// <summary>Forwards and target errors of one cutover, counted lock-free on the request path and sampled by <see cref="TargetHealthMonitor"/>.</summary>
internal sealed class TargetHealth
{
    private long _forwarded;
    private long _errors;

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long Errors => Interlocked.Read(ref _errors);

    public void Record(bool targetError)
    {
        Interlocked.Increment(ref _forwarded);
        if (targetError)
        {
            Interlocked.Increment(ref _errors);
        }
    }
}
