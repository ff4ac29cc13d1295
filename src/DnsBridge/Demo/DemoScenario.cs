using System.Net;
using DnsBridge.Propagation;

namespace DnsBridge.Demo;

/// <summary>
/// The compressed timeline of the demo cutover: rehearsal (the source app serves, half of the requests are mirrored to
/// the target and compared) until the freeze, then the authoritative answer switches (and with it, automatically, the
/// phase), then each resolver's cached source answer expires. A resolver answers the source with the TTL it has left,
/// as a real cache does, so the monitor's estimates are real estimates.
/// </summary>
internal sealed class DemoScenario
{
    public const string Host = "shop.demo.test";

    /// <summary>The one path where the target answers differently from the source (the readiness report names it).</summary>
    public const string DifferingPath = "/cart";

    private static readonly (string Name, string Region, double FlipsAt, ResolverLocation Location)[] ResolverPlan =
    [
        ("demo-virginia", "Americas", 12, new("Ashburn, US", 39.04, -77.49)), ("demo-sao-paulo", "Americas", 18, new("Sao Paulo, BR", -23.55, -46.63)),
        ("demo-frankfurt", "Europe", 14, new("Frankfurt, DE", 50.11, 8.68)), ("demo-london", "Europe", 22, new("London, GB", 51.51, -0.13)),
        ("demo-moscow", "Russia", 28, new("Moscow, RU", 55.75, 37.62)), ("demo-beijing", "China", 34, new("Beijing, CN", 39.90, 116.40)),
        ("demo-seoul", "Korea", 26, new("Seoul, KR", 37.57, 126.98)), ("demo-sydney", "Oceania", 40, new("Sydney, AU", -33.87, 151.21)),
    ];

    private readonly TimeProvider _time;
    private DateTimeOffset _start;

    public DemoScenario(TimeProvider time, double speed, IPAddress source, IPAddress target)
    {
        _time = time;
        _start = time.GetUtcNow();
        Speed = speed;
        Source = source;
        Target = target;
        Resolvers = [.. ResolverPlan.Select(r => new DemoResolver(r.Name, r.Region, Scaled(r.FlipsAt), r.Location))];
        FreezeAt = Scaled(6);
        AuthoritativeSwitchAt = Scaled(8);
    }

    public double Speed { get; }

    public IPAddress Source { get; }

    public IPAddress Target { get; }

    public IReadOnlyList<DemoResolver> Resolvers { get; }

    /// <summary>When the demo's operator freezes the cutover (the final data sync), a little before the DNS change.</summary>
    public TimeSpan FreezeAt { get; }

    public TimeSpan AuthoritativeSwitchAt { get; }

    public TimeSpan Elapsed => _time.GetUtcNow() - _start;

    /// <summary>
    /// Starts the timeline again from now: called once DnsBridge has started and the clients are about to begin, so the
    /// rehearsal lasts its whole share of the scenario however long the start took.
    /// </summary>
    public void Restart() => _start = _time.GetUtcNow();

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

internal sealed record DemoResolver(string Name, string Region, TimeSpan FlipsAt, ResolverLocation Location);
