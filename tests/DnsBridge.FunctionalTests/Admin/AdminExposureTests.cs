using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Admin;

/// <summary>
/// Secure by default: an admin listener other hosts can reach needs <c>Listen:AdminToken</c> or the explicit
/// <c>Listen:AllowAnonymousAdmin</c>. The listeners bound on 0.0.0.0 here are reached through loopback only.
/// </summary>
public sealed partial class AdminExposureTests : IDisposable
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-admin-exposure").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static object Section(object listen) => new
    {
        Listen = listen,
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = 9, Scheme = "http" } } },
    };

    private async Task<string> WriteConfigAsync(object listen)
    {
        var file = Path.Combine(_dir, "dnsbridge.json");
        await File.WriteAllTextAsync(file, BridgeHost.Render(Section(listen), _dir));
        return file;
    }

    private static HttpClient AdminClient(IPEndPoint admin) => new() { BaseAddress = new Uri($"http://127.0.0.1:{admin.Port}/"), Timeout = TimeSpan.FromSeconds(10) };

    [Theory]
    [InlineData("serve")]
    [InlineData("validate")]
    public async Task An_admin_listener_on_0_0_0_0_without_a_token_is_refused_with_exit_2_naming_the_keys_and_the_ways_out(string verb)
    {
        var file = await WriteConfigAsync(new { Proxy = "http://127.0.0.1:0", Admin = "http://0.0.0.0:0" });

        var (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], verb, "--config", file);

        Assert.True(code == 2, output);
        Assert.Contains("DnsBridge:Listen:Admin: 'http://0.0.0.0:0' is reachable beyond loopback", output, StringComparison.Ordinal);
        Assert.Contains("Listen:AdminToken", output, StringComparison.Ordinal);
        Assert.Contains("Listen:AllowAnonymousAdmin: true", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_images_admin_address_needs_the_token_given_at_run_time()
    {
        // The image's ENV moves the admin listener beyond loopback; the token is never baked in, nor the opt-out.
        var dockerfile = string.Join('\n', (await File.ReadAllLinesAsync(Repo.PathOf("Dockerfile"))).Where(l => !l.TrimStart().StartsWith('#')));
        var admin = ImageAdmin().Match(dockerfile);
        Assert.True(admin.Success, "the Dockerfile sets no DNSBRIDGE__Listen__Admin");
        Assert.DoesNotContain("DNSBRIDGE__Listen__AdminToken=", dockerfile, StringComparison.Ordinal);
        Assert.DoesNotContain("AllowAnonymousAdmin", dockerfile, StringComparison.Ordinal);

        var file = await WriteConfigAsync(new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" });
        (string, string) wildcard = ("DNSBRIDGE__Listen__Admin", admin.Groups[1].Value);

        var (refused, why) = await DnsBridgeVerb.RunAsync(_dir, [wildcard], "validate", "--config", file);
        Assert.True(refused == 2, why);
        Assert.Contains($"DnsBridge:Listen:Admin: '{admin.Groups[1].Value}' is reachable beyond loopback", why, StringComparison.Ordinal);

        var (valid, output) = await DnsBridgeVerb.RunAsync(_dir, [wildcard, ("DNSBRIDGE__Listen__AdminToken", Token)], "validate", "--config", file);
        Assert.True(valid == 0, output);
        Assert.DoesNotContain(Token, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_serve_starts_on_0_0_0_0_and_the_api_and_metrics_need_it_while_the_probes_do_not()
    {
        int proxy = BridgeProcess.FreePort(), admin = BridgeProcess.FreePort();
        var file = await WriteConfigAsync(new { Proxy = $"http://127.0.0.1:{proxy}", Admin = $"http://0.0.0.0:{admin}", AdminToken = Token });

        // Started means /healthz answered without a token.
        await using var bridge = await BridgeProcess.StartAsync(file, proxy, admin);
        using var http = AdminClient(new IPEndPoint(IPAddress.Any, admin));

        await WaitForReadyAsync(http);
        foreach (var path in new[] { "/api/cutovers", "/api/cutovers/shop", "/api/cutovers/shop/preflight", "/metrics" })
        {
            using var anonymous = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var post = await http.PostAsync("/api/cutovers/shop", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/cutovers/shop")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);
        Assert.DoesNotContain("AllowAnonymousAdmin", bridge.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_AllowAnonymousAdmin_it_starts_on_0_0_0_0_warns_and_still_refuses_changes()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new { Proxy = "http://127.0.0.1:0", Admin = "http://0.0.0.0:0", AllowAnonymousAdmin = true }));
        using var http = AdminClient(bridge.AdminEndPoint);

        var warning = Assert.Single(bridge.Logs.Events, e => e.Level == Serilog.Events.LogEventLevel.Warning && e.MessageTemplate.Text.Contains("AllowAnonymousAdmin", StringComparison.Ordinal));
        Assert.Contains($"0.0.0.0:{bridge.AdminEndPoint.Port}", warning.RenderMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/cutovers/shop")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);

        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
        {
            using var change = await http.SendAsync(new HttpRequestMessage(method, "/api/cutovers/shop") { Content = new StringContent("{}") });
            Assert.Equal(HttpStatusCode.Forbidden, change.StatusCode);
            Assert.Contains("require Listen:AdminToken", await change.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task On_loopback_without_a_token_reads_are_open_and_changes_are_refused()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" }));
        using var http = bridge.CreateAdminClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/cutovers")).StatusCode);
        Assert.DoesNotContain(bridge.Logs.Events, e => e.MessageTemplate.Text.Contains("AllowAnonymousAdmin", StringComparison.Ordinal));
        using var post = await http.PostAsync("/api/cutovers/shop", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
    }

    [Fact]
    public async Task A_reload_cannot_take_the_token_away_while_the_listener_is_bound_beyond_loopback()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new { Proxy = "http://127.0.0.1:0", Admin = "http://0.0.0.0:0", AdminToken = Token }));
        using var http = AdminClient(bridge.AdminEndPoint);

        // Valid on its own (loopback needs no token), but the listener stays on 0.0.0.0 until a restart.
        await File.WriteAllTextAsync(bridge.ConfigPath, BridgeHost.Render(Section(new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" }), bridge.Directory));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!bridge.Logs.Messages.Any(m => m.Contains("Listen:AdminToken", StringComparison.Ordinal) && m.Contains("is required until a restart", StringComparison.Ordinal)))
        {
            await Task.Delay(50, timeout.Token);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/cutovers")).StatusCode);
        Assert.Equal(Token, bridge.Services.GetRequiredService<DnsBridge.Configuration.ConfigMonitor>().Current.Listen.AdminToken);
    }

    [GeneratedRegex(@"DNSBRIDGE__Listen__Admin=(\S+)")]
    private static partial Regex ImageAdmin();

    private static async Task WaitForReadyAsync(HttpClient http)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while ((await http.GetAsync("/readyz", timeout.Token)).StatusCode != HttpStatusCode.OK)
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
