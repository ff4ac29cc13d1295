using System.Net;
using System.Net.Http.Headers;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Report;

/// <summary>
/// A real DnsBridge with a wave of three cutovers in different states, driven by a fake clock as
/// DrainDetectorTests does: <c>shop</c> drained, <c>blog</c> draining (residual traffic from several clients),
/// <c>api</c> pending. The admin API needs <see cref="Token"/>.
/// </summary>
internal sealed class WaveBridge : IAsyncDisposable
{
    public const string Token = "0123456789abcdef0123456789abcdef";

    /// <summary>A comma, a quote and markup: proves CSV quoting and HTML escaping (host names are validated, agents are not).</summary>
    public const string HostileAgent = "Evil \"agent\", <script>alert(1)</script>";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private TestUpstream _target = null!;

    public BridgeHost Bridge { get; private set; } = null!;

    public DateTimeOffset Now => _time.GetUtcNow();

    public static async Task<WaveBridge> StartAsync()
    {
        var wave = new WaveBridge();
        wave._target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        var target = new { wave._target.Address, wave._target.Port, Scheme = "http" };
        var drainRules = new { QuietPeriod = "00:10:00", Threshold = 0 };
        wave.Bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AdminToken = Token },
            Cutovers = new[]
            {
                new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = target, Drain = drainRules },
                new { Name = "blog", Hosts = new[] { "blog.example.test" }, Target = target, Drain = drainRules },
                new { Name = "api", Hosts = new[] { "api.example.test" }, Target = target, Drain = drainRules },
            },
        }, s => s.AddSingleton<TimeProvider>(wave._time));
        await wave.DriveAsync();
        return wave;
    }

    private DrainDetector Detector => Bridge.Services.GetRequiredService<DrainDetector>();

    public DrainState State(string cutover) => Detector.Status(cutover)!.State;

    private static ResolverResult R(string name, ResolverAnswer answer, DateTimeOffset at, bool authoritative = false) =>
        new(new ResolverInfo(name, new IPEndPoint(IPAddress.Loopback, 53), "Europe", "op", authoritative), answer, [], [], 300, null, null, at, TimeSpan.Zero);

    private void Feed(string cutover, ResolverAnswer authoritative, params ResolverAnswer[] resolvers)
    {
        var now = _time.GetUtcNow();
        var results = resolvers.Select((a, i) => R($"r{i}", a, now)).Append(R("ns", authoritative, now, authoritative: true)).ToList();
        Detector.OnSnapshot(PropagationPoller.Summarize(cutover, now, results));
    }

    private void Advance(int seconds) => _time.AdvanceTicking(Detector, seconds);

    /// <summary>One residual request to <paramref name="host"/>, as a client behind the (trusted, loopback) load balancer.</summary>
    public async Task RequestAsync(string host, string? forwardedFor = null, string? userAgent = null)
    {
        using var client = LoopbackClient.Create(Bridge.ProxyEndPoint);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{host}/page");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"residual request to {host}: {response.StatusCode}");
        }
    }

    private async Task DriveAsync()
    {
        foreach (var cutover in new[] { "shop", "blog" })
        {
            Feed(cutover, ResolverAnswer.Source, ResolverAnswer.Source, ResolverAnswer.Source);
        }

        Feed("shop", ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Source);
        Feed("shop", ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Target);
        await RequestAsync("shop.example.test", "203.0.113.50", HostileAgent);
        Advance(301 + 61 + 600);

        // blog switches only now, so its stale caches keep it draining while shop is drained.
        Feed("blog", ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Source);
        Feed("blog", ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Target);

        // Residual from three clients with different agents.
        for (var i = 0; i < 3; i++)
        {
            await RequestAsync("blog.example.test", "198.51.100.1", "curl/8.5.0");
        }

        Advance(1);
        await RequestAsync("blog.example.test", "198.51.100.2", "Java/17.0.2");
        await RequestAsync("blog.example.test", "198.51.100.2", "Java/21.0.1");
        await RequestAsync("blog.example.test", "198.51.100.3", HostileAgent);
        Advance(2);
    }

    public HttpClient AdminClient(bool withToken = true)
    {
        var client = Bridge.CreateAdminClient();
        if (withToken)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Bridge.DisposeAsync();
        await _target.DisposeAsync();
    }
}
