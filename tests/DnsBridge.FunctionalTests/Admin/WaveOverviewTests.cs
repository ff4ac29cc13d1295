using System.Globalization;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Playwright;

namespace DnsBridge.FunctionalTests.Admin;

/// <summary>
/// The wave overview with 50 cutovers in the real Chromium: every cutover a row, sorting by a column's button (mouse and
/// keyboard), filtering by state and name, links to each cutover's page, and axe-core finding nothing serious.
/// </summary>
public sealed class WaveOverviewTests(WaveOverviewTests.Wave wave) : IClassFixture<WaveOverviewTests.Wave>
{
    /// <summary>Counts the page's own requests to /api/summary in flight, as the page sees them.</summary>
    private const string CountSummaryRequests = """
        (() => {
          const fetch = window.fetch;
          window.__inFlight = 0;
          window.__most = 0;
          window.fetch = async (...args) => {
            const summary = String(args[0]).includes("/api/summary");
            if (summary) window.__most = Math.max(window.__most, ++window.__inFlight);
            try { return await fetch(...args); } finally { if (summary) window.__inFlight--; }
          };
        })();
        """;

    [Fact]
    public async Task A_slow_API_never_has_two_refreshes_of_the_page_in_flight()
    {
        await using var browser = await Browser.LaunchAsync();
        var errors = new List<string>();

        // Every answer takes longer than the 5 s between refreshes: a fixed interval would send the next one meanwhile.
        var page = await browser.OpenAsync(wave.Bridge.AdminUri, errors, async p =>
        {
            await p.AddInitScriptAsync(CountSummaryRequests);
            await p.RouteAsync("**/api/summary", async route =>
            {
                await Task.Delay(TimeSpan.FromSeconds(6));
                await route.ContinueAsync();
            });
        });

        await Browser.WaitForAsync(page, "#overview[data-refreshes='2']");
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.__most"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Lists_50_cutovers_that_sort_filter_and_link_to_their_own_page()
    {
        await using var browser = await Browser.LaunchAsync();
        var errors = new List<string>();
        var page = await browser.OpenAsync(wave.Bridge.AdminUri, errors);
        // A concrete DOM condition, not network idle: the page polls the API every 5 s, so the network never settles.
        await Browser.WaitForAsync(page, "#overview[data-refreshes]");
        await Browser.WaitForCountAsync(page, "#wave tbody tr", 50);
        var rows = page.Locator("#wave tbody tr");
        Assert.Equal("c01", await rows.First.Locator("th a").TextContentAsync());
        Assert.Equal("ascending", await page.Locator("th[data-key=name]").GetAttributeAsync("aria-sort"));
        Assert.StartsWith("50 cutovers: 25 pending", await page.Locator("#totals").TextContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("wave-overview-50.png"), FullPage = true });

        // Sorted by residual in the last hour: c07 (30), c23 (20), c42 (10) first when descending, last when ascending.
        var residual = page.GetByRole(AriaRole.Button, new() { Name = "Residual last 1 h" });
        await residual.ClickAsync();
        Assert.Equal("ascending", await page.Locator("th[data-key=residualHour]").GetAttributeAsync("aria-sort"));
        Assert.Null(await page.Locator("th[data-key=name]").GetAttributeAsync("aria-sort"));
        Assert.Equal(["c42", "c23", "c07"], (await Names(page))[^3..]);
        await residual.ClickAsync();
        Assert.Equal("descending", await page.Locator("th[data-key=residualHour]").GetAttributeAsync("aria-sort"));
        Assert.Equal(["c07", "c23", "c42"], (await Names(page))[..3]);
        Assert.Equal("30", await rows.First.Locator("td").Nth(4).TextContentAsync());

        // The view survives the refresh every 5 s: still sorted after the next one.
        var refreshes = int.Parse((await page.Locator("#overview").GetAttributeAsync("data-refreshes"))!, CultureInfo.InvariantCulture);
        await Browser.WaitForAsync(page, $"#overview:not([data-refreshes='{refreshes}'])");
        Assert.Equal(["c07", "c23", "c42"], (await Names(page))[..3]);

        // Filtered by state: the 25 cutovers whose DNS never switched, and by name on top.
        await page.Locator("#state-filter").SelectOptionAsync("pending");
        Assert.Equal(25, await rows.CountAsync());
        Assert.All(await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.state)"), s => Assert.Equal("pending", s));
        Assert.Equal("Showing 25 of 50 cutovers in state pending.", await page.Locator("#shown").TextContentAsync());
        Assert.Contains("state=pending", page.Url, StringComparison.Ordinal);
        await page.Locator("#name-filter").FillAsync("c1");
        // Equal residual (none) falls back to the name, A to Z, whichever the direction.
        Assert.Equal(["c11", "c13", "c15", "c17", "c19"], await Names(page));
        await page.Locator("#name-filter").FillAsync("");
        await page.Locator("#state-filter").SelectOptionAsync("");
        Assert.Equal(50, await rows.CountAsync());

        // Keyboard only: Tab from the name filter reaches the first column's button, with a visible focus ring;
        // Tab again and Enter sorts by state.
        await page.Locator("#name-filter").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Cutover", await page.EvaluateAsync<string>("document.activeElement.textContent"));
        Assert.Equal("solid", await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        Assert.Equal("ascending", await page.Locator("th[data-key=state]").GetAttributeAsync("aria-sort"));
        Assert.Equal("pending", await rows.First.GetAttributeAsync("data-state"));

        // A name links to the cutover's own page, which links back.
        await page.GetByRole(AriaRole.Link, new() { Name = "c07", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(new Uri(wave.Bridge.AdminUri, "/cutovers/c07").ToString(), new() { WaitUntil = WaitUntilState.Commit });
        await Browser.WaitForAsync(page, "#cutover[data-refreshes]");
        Assert.StartsWith("c07", await page.Locator("#cutover-name").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("DnsBridge: c07", await page.TitleAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "← Wave overview" }).ClickAsync();
        await Browser.WaitForAsync(page, "#overview[data-refreshes]");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_refresh_leaves_unchanged_rows_alone_so_a_focused_link_keeps_the_focus()
    {
        await using var browser = await Browser.LaunchAsync();
        var errors = new List<string>();
        var page = await browser.OpenAsync(wave.Bridge.AdminUri, errors);
        await Browser.WaitForAsync(page, "#overview[data-refreshes]");
        await Browser.WaitForCountAsync(page, "#wave tbody tr", 50);

        // A keyboard user on c12's link (a quiet cutover: nothing in its row changes) while the page refreshes.
        await page.GetByRole(AriaRole.Link, new() { Name = "c12", Exact = true }).FocusAsync();
        await page.EvaluateAsync("() => { window.__rows = [...document.querySelectorAll('#wave tbody tr')]; }");
        var refreshes = int.Parse((await page.Locator("#overview").GetAttributeAsync("data-refreshes"))!, CultureInfo.InvariantCulture);
        await Browser.WaitForAsync(page, $"#overview:not([data-refreshes='{refreshes}'])");

        Assert.Equal("c12", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        var kept = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('#wave tbody tr')].filter(r => window.__rows.includes(r)).map(r => r.querySelector('th a').textContent)");
        Assert.Contains("c12", kept);
        Assert.True(kept.Length >= 45, $"only {kept.Length} of 50 rows survived a refresh that changed at most the three with traffic");
        Assert.Equal(50, await page.Locator("#wave tbody tr").CountAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Has_no_serious_or_critical_accessibility_violation_on_the_overview_or_a_cutover_page()
    {
        await using var browser = await Browser.LaunchAsync();
        var overview = await browser.OpenAsync(wave.Bridge.AdminUri);
        await Browser.WaitForAsync(overview, "#overview[data-refreshes]");
        Assert.Empty(await Browser.SeriousAccessibilityViolationsAsync(overview));

        var cutover = await browser.OpenAsync(new Uri(wave.Bridge.AdminUri, "/cutovers/c07"));
        await Browser.WaitForAsync(cutover, "#cutover[data-histories] svg.share-chart");
        Assert.Empty(await Browser.SeriousAccessibilityViolationsAsync(cutover));
    }

    private static async Task<string[]> Names(IPage page) =>
        await page.Locator("#wave tbody th a").EvaluateAllAsync<string[]>("links => links.map(a => a.textContent)");

    /// <summary>50 cutovers on one DnsBridge: the even ones switched in DNS (complete), the odd ones not (pending); residual traffic on three.</summary>
    public sealed class Wave : IAsyncLifetime
    {
        private const string Source = "198.51.100.7";
        private TestUpstream _target = null!;
        private Dnsmasq _dns = null!;

        internal BridgeHost Bridge { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
            var names = Enumerable.Range(1, 50).Select(i => $"c{i:00}").ToList();
            _dns = await Dnsmasq.StartAsync(names.Select((n, i) => (Host: $"{n}.wave.test", Address: i % 2 == 1 ? _target.Address : Source))
                .ToDictionary(x => x.Host, x => new[] { x.Address }));
            Bridge = await BridgeHost.StartAsync(new
            {
                Cutovers = names.Select(n => new { Name = n, Hosts = new[] { $"{n}.wave.test" }, Target = new { _target.Address, _target.Port, Scheme = "http" }, SourceAddresses = new[] { Source } }),
                Resolvers = new
                {
                    Preset = "none",
                    Authoritative = true,
                    AuthoritativeServers = new[] { _dns.Address },
                    Custom = new[] { new { Name = "google", _dns.Address, Region = "Americas", City = "Mountain View, US", Latitude = 37.42, Longitude = -122.08 } },
                },
                Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
            });

            using var client = LoopbackClient.Create(Bridge.ProxyEndPoint);
            foreach (var (name, count) in new[] { ("c07", 30), ("c23", 20), ("c42", 10) })
            {
                for (var i = 0; i < count; i++)
                {
                    (await client.GetAsync($"http://{name}.wave.test/")).Dispose();
                }
            }

            // Every even cutover's DNS switched and propagated; every odd one still pending.
            var detector = Bridge.Services.GetRequiredService<DrainDetector>();
            bool Settled() => names.Select((n, i) => (State: detector.Status(n)?.State, Switched: i % 2 == 1))
                .All(x => x.Switched ? x.State is DrainState.Draining or DrainState.Quiet : x.State == DrainState.Pending);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Settled() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.True(Settled(), "the 50 cutovers did not reach their states within 60 s: " + string.Join(", ", names.Select(n => $"{n} {detector.Status(n)?.State}")));
        }

        public async Task DisposeAsync()
        {
            await Bridge.DisposeAsync();
            await _target.DisposeAsync();
            await _dns.DisposeAsync();
        }
    }
}
