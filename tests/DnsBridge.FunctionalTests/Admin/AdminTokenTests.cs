using System.Net;
using System.Net.Http.Headers;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Admin;

/// <summary><c>Listen:AdminToken</c>: the API and /metrics need the bearer token, probes and the page shell do not.</summary>
public sealed class AdminTokenTests : IAsyncLifetime
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private TestUpstream _target = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        _bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AdminToken = Token },
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { _target.Address, _target.Port, Scheme = "http" } } },
            Alerts = new { Webhooks = new[] { new { Url = "http://127.0.0.1:9/hook?key=hook-secret", Headers = new { Authorization = "Bearer webhook-secret" } } } },
        });
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _target.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/cutovers")]
    [InlineData("/api/summary")]
    [InlineData("/api/cutovers/shop")]
    [InlineData("/api/cutovers/shop/report")]
    [InlineData("/api/cutovers/shop/residual?range=24h")]
    [InlineData("/api/cutovers/shop/propagation?range=7d")]
    [InlineData("/metrics")]
    [InlineData("/METRICS")]
    public async Task Protected_endpoints_answer_401_without_the_token_and_200_with_it(string path)
    {
        using var admin = _bridge.CreateAdminClient();

        using var anonymous = await admin.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token[..^1] + "0");
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, path);
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(right)).StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/")]
    [InlineData("/status.js")]
    [InlineData("/cutovers/shop")]
    [InlineData("/charts.js")]
    [InlineData("/world.svg")]
    public async Task Probes_and_the_page_shell_stay_open(string path)
    {
        using var admin = _bridge.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task The_pages_show_data_only_to_a_tab_opened_with_the_token_and_keep_it_from_the_overview_to_a_cutover()
    {
        await using var browser = await Browser.LaunchAsync();
        var without = await browser.OpenAsync(_bridge.AdminUri);
        await Browser.WaitForAsync(without, "#refreshed .error");
        Assert.Contains("HTTP 401", await without.Locator("#refreshed").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await without.Locator("#wave tbody tr").CountAsync());

        var with = await browser.OpenAsync(new Uri(_bridge.AdminUri, $"/#token={Token}"));
        await Browser.WaitForAsync(with, "#overview[data-refreshes]");
        Assert.DoesNotContain(Token, with.Url, StringComparison.Ordinal);
        Assert.Equal(1, await with.Locator("#wave tbody tr").CountAsync());
        await with.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "shop", Exact = true }).ClickAsync();
        await Browser.WaitForAsync(with, "#cutover[data-refreshes][data-histories]");
        Assert.StartsWith("shop", await with.Locator("#cutover-name").TextContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Neither_the_token_nor_webhook_secrets_reach_the_api_or_the_logs()
    {
        using var admin = _bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var everything = await admin.GetStringAsync("/api/cutovers") + await admin.GetStringAsync("/api/cutovers/shop")
            + await admin.GetStringAsync("/api/cutovers/shop/report") + await admin.GetStringAsync("/metrics") + await admin.GetStringAsync("/")
            + await admin.GetStringAsync("/status.js") + _bridge.Logs.AllText;

        Assert.DoesNotContain(Token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("hook-secret", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("webhook-secret", everything, StringComparison.Ordinal);
    }
}
