using Prometheus;

namespace DnsBridge.Forwarding;

/// <summary>
/// Whether residual clients of one cutover should be nudged to re-resolve DNS: only once propagation is complete
/// (drain state draining, quiet or drained), only if <c>Drain.Nudge</c> is on, and at most
/// <see cref="MaxPerSecond"/> connections per second, so the extra handshakes of a large fleet of keep-alive
/// clients are spread out instead of landing on the target and the forwarder at once.
/// </summary>
internal sealed class NudgeSwitch
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

    public static readonly IReadOnlyList<string> Kinds = ["http1", "http2", "websocket", "tcp"];

    /// <summary>Set from the drain state (<see cref="NudgeRegistry.OnDrainState"/>): true in draining, quiet and drained.</summary>
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

    /// <summary>
    /// Nudged clients, to tell whether a nudge worked: a client that comes back to the source after it (on a new
    /// connection, so after a fresh lookup) still gets the source address from its DNS cache; one that never comes
    /// back re-resolved to the target. Bounded: beyond <see cref="MaxTrackedClients"/> new clients are not followed.
    /// </summary>
    public const int MaxTrackedClients = 10_000;

    // A request on the nudged connection itself can still arrive just after the nudge (pipelining, HTTP/2 streams).
    private static readonly TimeSpan ReturnGrace = TimeSpan.FromSeconds(1);
    // Made by the first nudge and the first return: most cutovers of a wave are never nudged, and cost nothing here.
    private System.Collections.Concurrent.ConcurrentDictionary<System.Net.IPAddress, long>? _nudgedAt;
    private System.Collections.Concurrent.ConcurrentDictionary<System.Net.IPAddress, byte>? _returned;
    private int _tracked;

    public void Nudged(System.Net.IPAddress? client)
    {
        if (client is not null && Volatile.Read(ref _tracked) < MaxTrackedClients && LazyInitializer.EnsureInitialized(ref _nudgedAt).TryAdd(client, _time.GetTimestamp()))
        {
            Interlocked.Increment(ref _tracked);
        }
    }

    /// <summary>Called for every residual request; costs one read until a client has been nudged.</summary>
    public void Seen(System.Net.IPAddress? client)
    {
        if (client is null || Volatile.Read(ref _tracked) == 0 || Volatile.Read(ref _nudgedAt) is not { } nudgedAt || !nudgedAt.TryGetValue(client, out var at))
        {
            return;
        }

        if (_time.GetElapsedTime(at) > ReturnGrace)
        {
            LazyInitializer.EnsureInitialized(ref _returned).TryAdd(client, 0);
        }
    }

    /// <summary>What nudging did so far: connections by kind, clients nudged and how many kept arriving afterwards.</summary>
    public NudgeSummary Summary() => new(
        (long)_nudged[(int)NudgeKind.Http1].Value, (long)_nudged[(int)NudgeKind.Http2].Value, (long)_nudged[(int)NudgeKind.WebSocket].Value, (long)_nudged[(int)NudgeKind.Tcp].Value,
        Volatile.Read(ref _tracked), Volatile.Read(ref _returned)?.Count ?? 0);
}
