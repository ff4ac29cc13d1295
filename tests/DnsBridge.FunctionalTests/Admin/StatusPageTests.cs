using System.Net;
using System.Text.RegularExpressions;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Admin;

/// <summary>The status page in a real headless Chromium against a running DnsBridge with traffic and propagation data.</summary>
public sealed partial class StatusPageTests : IAsyncLifetime
{
    private TestUpstream _target = null!;
    private BridgeHost _bridge = null!;
    private readonly List<Dnsmasq> _dns = [];

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        var stale = new Dictionary<string, string[]> { ["shop.example.test"] = ["198.51.100.7"] };
        var switched = new Dictionary<string, string[]> { ["shop.example.test"] = [_target.Address] };
        _dns.Add(await Dnsmasq.StartAsync(switched));
        _dns.Add(await Dnsmasq.StartAsync(switched));
        _dns.Add(await Dnsmasq.StartAsync(stale));
        _bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[]
            {
                new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { _target.Address, _target.Port, Scheme = "http" }, SourceAddresses = new[] { "198.51.100.7" } },
            },
            Resolvers = new
            {
                Preset = "none",
                Authoritative = true,
                AuthoritativeServers = new[] { _dns[0].Address },
                Custom = new[] { new { Name = "google", _dns[1].Address, Region = "Americas" }, new { Name = "alidns", _dns[2].Address, Region = "China" } },
            },
            Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
        });

        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://shop.example.test/");
        request.Headers.Add("X-Forwarded-For", "203.0.113.77");
        request.Headers.UserAgent.ParseAdd("Java/1.8.0_292");
        (await client.SendAsync(request)).Dispose();

        var detector = _bridge.Services.GetRequiredService<DrainDetector>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (detector.Status("shop")!.State != DrainState.Propagating && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _target.DisposeAsync();
        foreach (var dns in _dns)
        {
            await dns.DisposeAsync();
        }
    }

    [Fact]
    public async Task Renders_every_cutover_with_state_resolvers_by_region_clients_and_events_and_keeps_refreshing()
    {
        var (dom, log) = await Chromium.DumpDomAsync(_bridge.AdminUri, virtualTimeMs: 11_000);

        Assert.Contains("<h2 id=\"h-shop\">shop <span class=\"badge state-propagating\">propagating</span>", dom, StringComparison.Ordinal);
        Assert.Contains("shop.example.test → http://", dom, StringComparison.Ordinal);
        Assert.Contains("scope=\"rowgroup\">China</th>", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"answer-source\">source", dom, StringComparison.Ordinal);
        Assert.Contains("203.0.113.77", dom, StringComparison.Ordinal);
        Assert.Contains("Java/1.8.0_292", dom, StringComparison.Ordinal);
        Assert.Contains("DNS switched", dom, StringComparison.Ordinal);
        Assert.Contains("aria-valuenow=\"50\"", dom, StringComparison.Ordinal);
        Assert.Contains("<svg class=\"chart\"", dom, StringComparison.Ordinal);

        // The preflight checklist of the cutover, fetched from the API once at load.
        Assert.Matches("<summary>Preflight checklist: \\d+ pass, \\d+ warn, \\d+ fail", dom);
        Assert.Contains("<th scope=\"row\">target: tcp connect</th>", dom, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">dns: current answer</th>", dom, StringComparison.Ordinal);

        // 11 s of virtual time at one refresh every 5 s: the first load and at least two refreshes.
        var refreshes = int.Parse(RefreshCount().Match(dom).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(refreshes >= 3, $"refreshed {refreshes} times");
        Assert.DoesNotMatch(ConsoleError(), log);
    }

    [Fact]
    public async Task Is_served_with_no_external_asset_and_a_strict_content_security_policy()
    {
        using var admin = _bridge.CreateAdminClient();
        using var page = await admin.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/status.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/status.css")).StatusCode);
    }

    [GeneratedRegex("data-refreshes=\"(\\d+)\"")]
    private static partial Regex RefreshCount();

    [GeneratedRegex("(Uncaught|CONSOLE\\(\\d+\\)\\].*(Error|error))")]
    private static partial Regex ConsoleError();
}
