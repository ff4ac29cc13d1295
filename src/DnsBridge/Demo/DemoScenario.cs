using System.Net;
using DnsBridge.Propagation;

namespace DnsBridge.Demo;

/// <summary>
/// The compressed timeline of the demo cutover: when the authoritative answer switches and when each resolver's
/// cached source answer expires. A resolver answers the source with the TTL it has left, as a real cache does,
/// so the monitor's estimates are real estimates.
/// </summary>
public sealed class DemoScenario
{
    public const string Host = "shop.demo.test";

    private static readonly (string Name, string Region, double FlipsAt, ResolverLocation Location)[] ResolverPlan =
    [
        ("demo-virginia", "Americas", 8, new("Ashburn, US", 39.04, -77.49)), ("demo-sao-paulo", "Americas", 14, new("Sao Paulo, BR", -23.55, -46.63)),
        ("demo-frankfurt", "Europe", 10, new("Frankfurt, DE", 50.11, 8.68)), ("demo-london", "Europe", 18, new("London, GB", 51.51, -0.13)),
        ("demo-moscow", "Russia", 24, new("Moscow, RU", 55.75, 37.62)), ("demo-beijing", "China", 30, new("Beijing, CN", 39.90, 116.40)),
        ("demo-seoul", "Korea", 22, new("Seoul, KR", 37.57, 126.98)), ("demo-sydney", "Oceania", 36, new("Sydney, AU", -33.87, 151.21)),
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
        Resolvers = [.. ResolverPlan.Select(r => new DemoResolver(r.Name, r.Region, Scaled(r.FlipsAt), r.Location))];
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

public sealed record DemoResolver(string Name, string Region, TimeSpan FlipsAt, ResolverLocation Location);
