using System.Net;

namespace DnsBridge.Demo;

/// <summary>
/// The compressed timeline of the demo cutover: when the authoritative answer switches and when each resolver's
/// cached source answer expires. A resolver answers the source with the TTL it has left, as a real cache does,
/// so the monitor's estimates are real estimates.
/// </summary>
public sealed class DemoScenario
{
    public const string Host = "shop.demo.test";

    private static readonly (string Name, string Region, double FlipsAt)[] ResolverPlan =
    [
        ("demo-virginia", "Americas", 8), ("demo-sao-paulo", "Americas", 14), ("demo-frankfurt", "Europe", 10),
        ("demo-london", "Europe", 18), ("demo-moscow", "Russia", 24), ("demo-beijing", "China", 30),
        ("demo-seoul", "Korea", 22), ("demo-sydney", "Oceania", 36),
    ];

    private readonly TimeProvider _time;
    private readonly DateTimeOffset _start;

    public DemoScenario(TimeProvider time, double speed, IPAddress source, IPAddress target)
    {
        _time = time;
        _start = time.GetUtcNow();
        Speed = speed;
        Source = source;
        Target = target;
        Resolvers = [.. ResolverPlan.Select(r => new DemoResolver(r.Name, r.Region, Scaled(r.FlipsAt)))];
        AuthoritativeSwitchAt = Scaled(4);
    }

    public double Speed { get; }

    public IPAddress Source { get; }

    public IPAddress Target { get; }

    public IReadOnlyList<DemoResolver> Resolvers { get; }

    public TimeSpan AuthoritativeSwitchAt { get; }

    public TimeSpan Elapsed => _time.GetUtcNow() - _start;

    public TimeSpan Scaled(double seconds) => TimeSpan.FromSeconds(seconds / Speed);

    /// <summary>What the zone's authoritative server says now: the source until the switch, the target after (TTL 60 s).</summary>
    public (IPAddress[] Addresses, int Ttl)? Authoritative(string name) =>
        name == Host ? ([Elapsed >= AuthoritativeSwitchAt ? Target : Source], 60) : null;

    /// <summary>What a caching resolver says now: its cached source answer with the TTL it has left, then the target.</summary>
    public (IPAddress[] Addresses, int Ttl)? Cached(DemoResolver resolver, string name)
    {
        if (name != Host)
        {
            return null;
        }

        var left = resolver.FlipsAt - Elapsed;
        return left > TimeSpan.Zero
            ? ([Source], Math.Max(1, (int)Math.Ceiling(left.TotalSeconds)))
            : ([Target], 60);
    }
}

public sealed record DemoResolver(string Name, string Region, TimeSpan FlipsAt);
