using Prometheus;

namespace DnsBridge.Forwarding;

/// <summary>
/// Whether residual clients of one cutover should be nudged to re-resolve DNS: only once propagation is complete
/// (drain state draining, quiet or drained), only if <c>Drain.Nudge</c> is on, and at most
/// <see cref="MaxPerSecond"/> connections per second, so the extra handshakes of a large fleet of keep-alive
/// clients are spread out instead of landing on the target and the forwarder at once.
/// </summary>
public sealed class NudgeSwitch
{
    public const int MaxPerSecond = 100;

    private readonly TimeProvider _time;
    private readonly Counter.Child[] _nudged;
    private volatile bool _propagationComplete;
    private long _window;
    private int _used;

    internal NudgeSwitch(string cutover, Counter counter, TimeProvider time)
    {
        _time = time;
        _nudged = [.. Kinds.Select(k => counter.WithLabels(cutover, k))];
        foreach (var child in _nudged)
        {
            child.Publish();
        }
    }

    public static readonly IReadOnlyList<string> Kinds = ["http1", "http2", "websocket"];

    /// <summary>Set by the drain detector: true in draining, quiet and drained.</summary>
    public bool PropagationComplete
    {
        get => _propagationComplete;
        set => _propagationComplete = value;
    }

    /// <summary>Takes one nudge from this second's budget; false when nudging is off or the budget is spent.</summary>
    public bool TryTake()
    {
        if (!_propagationComplete)
        {
            return false;
        }

        var second = _time.GetTimestamp() / _time.TimestampFrequency;
        if (Interlocked.Read(ref _window) != second)
        {
            Interlocked.Exchange(ref _window, second);
            Interlocked.Exchange(ref _used, 0);
        }

        return Interlocked.Increment(ref _used) <= MaxPerSecond;
    }

    public void Count(NudgeKind kind) => _nudged[(int)kind].Inc();
}

public enum NudgeKind
{
    Http1,
    Http2,
    WebSocket,
}

/// <summary>The nudge switches of every cutover, by name; they outlive configuration reloads.</summary>
public sealed class NudgeRegistry(IMetricFactory factory, TimeProvider time)
{
    private readonly Counter _counter = factory.CreateCounter("dnsbridge_nudged_connections_total",
        "Client connections told to reconnect (and so re-resolve DNS) once propagation is complete, by cutover and kind.", ["cutover", "kind"]);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, NudgeSwitch> _switches = new(StringComparer.Ordinal);

    public NudgeSwitch For(string cutover) => _switches.GetOrAdd(cutover, name => new NudgeSwitch(name, _counter, time));
}
