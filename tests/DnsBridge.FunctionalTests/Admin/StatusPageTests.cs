using System.Net;
using System.Text.RegularExpressions;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;
using Microsoft.Playwright;

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
                Custom = new object[]
                {
                    new { Name = "google", _dns[1].Address, Region = "Americas", City = "Mountain View, US", Latitude = 37.42, Longitude = -122.08 },
                    new { Name = "alidns", _dns[2].Address, Region = "China", City = "Hangzhou, CN", Latitude = 30.27, Longitude = 120.15 },
                },
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
        var (dom, log) = await Chromium.DumpDomAsync(new Uri(_bridge.AdminUri, "/cutovers/shop"), virtualTimeMs: 11_000);

        Assert.Contains("<h2 id=\"cutover-name\">shop <span class=\"badge state-propagating\">propagating</span>", dom, StringComparison.Ordinal);
        Assert.Contains("shop.example.test → http://", dom, StringComparison.Ordinal);
        Assert.Contains("scope=\"rowgroup\">China</th>", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"answer-source\">source", dom, StringComparison.Ordinal);
        Assert.Contains("203.0.113.77", dom, StringComparison.Ordinal);
        Assert.Contains("Java/1.8.0_292", dom, StringComparison.Ordinal);
        Assert.Contains("DNS switched", dom, StringComparison.Ordinal);
        Assert.Contains("aria-valuenow=\"50\"", dom, StringComparison.Ordinal);
        Assert.Contains("<svg class=\"chart residual-chart\"", dom, StringComparison.Ordinal);

        // The preflight checklist of the cutover, fetched from the API once at load.
        Assert.Matches("<summary>Preflight checklist: \\d+ pass, \\d+ warn, \\d+ fail", dom);
        Assert.Contains("<th scope=\"row\">target: tcp connect</th>", dom, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">dns: current answer</th>", dom, StringComparison.Ordinal);

        // 11 s of virtual time at one refresh every 5 s: the first load and at least two refreshes.
        var refreshes = int.Parse(RefreshCount().Match(dom).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(refreshes >= 3, $"refreshed {refreshes} times");
        Assert.DoesNotMatch(ConsoleError(), log);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/cutovers/shop")]
    public async Task Is_served_with_no_external_asset_and_a_strict_content_security_policy(string path)
    {
        using var admin = _bridge.CreateAdminClient();
        using var page = await admin.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        foreach (var asset in new[] { "/status.js", "/status.css", "/overview.js", "/cutover.js", "/charts.js", "/world.svg" })
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(asset)).StatusCode);
        }

        // The map is light and carries no script: an image the page draws markers over.
        var world = await admin.GetByteArrayAsync("/world.svg");
        Assert.InRange(world.Length, 10_000, 100_000);
        Assert.DoesNotContain("<script", System.Text.Encoding.UTF8.GetString(world), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Cutover_page_charts_the_stored_residual_buckets_and_propagation_share_with_axes_and_a_map_of_the_resolvers()
    {
        // Minutes an earlier run stored: one in the last hour, one 5 h ago, one 3 days ago, one 9 days ago (outside every range).
        var now = DateTimeOffset.UtcNow;
        var minute = (TimeSpan ago) => (now - ago).ToUnixTimeSeconds() / 60;
        Assert.True(_bridge.Services.GetRequiredService<IResidualHistory>().Add(
        [
            new("shop", minute(TimeSpan.FromMinutes(10)), 12), new("shop", minute(TimeSpan.FromHours(5)), 40),
            new("shop", minute(TimeSpan.FromDays(3)), 100), new("shop", minute(TimeSpan.FromDays(9)), 1000),
        ]));
        using (var admin = _bridge.CreateAdminClient())
        {
            // The live request of the set-up is flushed to the store within a second: 12 + 1 in the last hour.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (await ResidualTotal(admin, "1h") != 13 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.Equal(13, await ResidualTotal(admin, "1h"));
            Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/cutovers/shop/residual?range=2y")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/cutovers/nope/propagation")).StatusCode);
        }

        await using var browser = await Browser.LaunchAsync();
        var errors = new List<string>();
        var page = await browser.OpenAsync(new Uri(_bridge.AdminUri, "/cutovers/shop"), errors);
        await Browser.WaitForAsync(page, "#cutover[data-histories] svg.residual-chart");
        await Browser.WaitForAsync(page, "#map svg.world g.marker");

        // Residual per minute over the last hour: 60 buckets, the stored total, a value axis from 0 and a time axis.
        var residual = page.Locator("svg.residual-chart");
        Assert.Equal("60", await residual.GetAttributeAsync("data-points"));
        Assert.Equal("13", await residual.GetAttributeAsync("data-total"));
        Assert.Equal("residual requests and connections per minute", await residual.Locator(".y-axis .axis-title").TextContentAsync());
        Assert.Equal("0", await residual.Locator(".y-axis .tick").First.TextContentAsync());
        Assert.Equal("time (UTC)", await residual.Locator(".x-axis .axis-title").TextContentAsync());
        Assert.All(await residual.Locator(".x-axis .tick").AllTextContentsAsync(), t => Assert.Matches("^\\d\\d:\\d0$", t));
        Assert.True(await residual.Locator(".bars rect").CountAsync() >= 1);

        // The same chart over 24 h (15-minute buckets) and 7 d (hours): what was stored further back joins in.
        await page.GetByRole(AriaRole.Button, new() { Name = "24 h" }).ClickAsync();
        await Browser.WaitForAsync(page, "#cutover[data-range='24h']");
        Assert.Equal("53", await residual.GetAttributeAsync("data-total"));
        Assert.Equal("residual requests and connections per 15 min", await residual.Locator(".y-axis .axis-title").TextContentAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "7 d" }).ClickAsync();
        await Browser.WaitForAsync(page, "#cutover[data-range='7d']");
        Assert.Equal("153", await residual.GetAttributeAsync("data-total"));
        Assert.Equal("168", await residual.GetAttributeAsync("data-points"));
        Assert.Equal("true", await page.GetByRole(AriaRole.Button, new() { Name = "7 d" }).GetAttributeAsync("aria-pressed"));

        // The propagation share from the stored answers: a step line on a 0-100 % axis, the DNS switch marked.
        var share = page.Locator("svg.share-chart");
        Assert.Equal(["0 %", "25 %", "50 %", "75 %", "100 %"], await share.Locator(".y-axis .tick").AllTextContentsAsync());
        Assert.Equal(1, await share.Locator("path.share").CountAsync());
        Assert.Equal("DNS switched", await share.Locator(".moment.switched text").TextContentAsync());
        Assert.Contains("now 50 % (1 of 2 answering resolvers on the target)", await share.GetAttributeAsync("aria-label"), StringComparison.Ordinal);

        // The map: one marker per resolver at its city, its answer as a letter and in its title, not colour alone.
        var markers = page.Locator("#map svg.world g.marker");
        Assert.Equal(2, await markers.CountAsync());
        var google = page.Locator("g.marker[data-resolver='google']");
        Assert.Equal("target", await google.GetAttributeAsync("data-answer"));
        Assert.Equal("T", await google.Locator("text").TextContentAsync());
        Assert.Equal("google (Mountain View, US): target", await google.Locator("title").TextContentAsync());
        var alidns = page.Locator("g.marker[data-resolver='alidns']");
        Assert.Equal("S", await alidns.Locator("text").TextContentAsync());
        Assert.Equal("alidns (Hangzhou, CN): source", await alidns.Locator("title").TextContentAsync());
        Assert.Contains("source: 1", await page.Locator("ul.legend").TextContentAsync(), StringComparison.Ordinal);

        // Hangzhou is east of Mountain View and further south: the projection puts it right of and below google.
        var (gx, gy) = Translate(await google.GetAttributeAsync("transform"));
        var (ax, ay) = Translate(await alidns.GetAttributeAsync("transform"));
        Assert.True(ax > gx && ay > gy, $"google at {gx},{gy}, alidns at {ax},{ay}");

        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("cutover-page.png"), FullPage = true });
        await page.Locator("figure.map").ScreenshotAsync(new() { Path = Browser.ScreenshotPath("resolver-map.png") });
        Assert.Empty(await Browser.SeriousAccessibilityViolationsAsync(page));
        Assert.Empty(errors);
    }

    private static (double X, double Y) Translate(string? transform)
    {
        var parts = transform!.Replace("translate(", "", StringComparison.Ordinal).TrimEnd(')').Split(' ');
        return (double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<long> ResidualTotal(HttpClient admin, string range)
    {
        using var json = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync($"/api/cutovers/shop/residual?range={range}"));
        return json.RootElement.GetProperty("total").GetInt64();
    }

    [GeneratedRegex("data-refreshes=\"(\\d+)\"")]
    private static partial Regex RefreshCount();

    [GeneratedRegex("(Uncaught|CONSOLE\\(\\d+\\)\\].*(Error|error))")]
    private static partial Regex ConsoleError();
}
