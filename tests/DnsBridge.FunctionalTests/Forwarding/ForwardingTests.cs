using System.Collections.Concurrent;
using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>Plain-HTTP forwarding: Host kept, client address appended, never an open proxy.</summary>
public sealed class ForwardingTests : IAsyncLifetime
{
    private static readonly System.Text.Json.JsonSerializerOptions Web = new(System.Text.Json.JsonSerializerDefaults.Web);
    private readonly ConcurrentQueue<string> _seen = new();
    private TestUpstream _target = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**path}", (HttpContext c) =>
        {
            _seen.Enqueue($"{c.Request.Method} {c.Request.Host.Value}{c.Request.Path}{c.Request.QueryString}");
            var h = c.Request.Headers;
            return Results.Json(new
            {
                host = c.Request.Host.Value,
                path = c.Request.Path.Value,
                query = c.Request.QueryString.Value,
                xff = h["X-Forwarded-For"].ToString(),
                proto = h["X-Forwarded-Proto"].ToString(),
                xhost = h["X-Forwarded-Host"].ToString(),
                traceparent = h["traceparent"].ToString(),
                custom = h["X-Custom"].ToString(),
            });
        }));
        _bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new object[]
            {
                new { Name = "shop", Hosts = new[] { "shop.example.test", "www.shop.example.test" }, Target = new { _target.Address, _target.Port, Scheme = "http" } },
            },
        });
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _target.DisposeAsync();
    }

    private sealed record Echo(string Host, string Path, string Query, string Xff, string Proto, string Xhost, string Traceparent, string Custom);

    private async Task<(HttpStatusCode Status, Echo? Echo)> GetAsync(string url, Action<HttpRequestMessage>? configure = null)
    {
        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        configure?.Invoke(request);
        using var response = await client.SendAsync(request);
        var echo = response.StatusCode == HttpStatusCode.OK
            ? System.Text.Json.JsonSerializer.Deserialize<Echo>(await response.Content.ReadAsStringAsync(), Web)
            : null;
        return (response.StatusCode, echo);
    }

    [Fact]
    public async Task Forwards_a_configured_host_with_its_host_path_query_and_headers()
    {
        var (status, echo) = await GetAsync("http://shop.example.test/a/b?x=1&y=%20z", r => r.Headers.Add("X-Custom", "kept"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("shop.example.test", echo!.Host);
        Assert.Equal("/a/b", echo.Path);
        Assert.Equal("?x=1&y=%20z", echo.Query);
        Assert.Equal("kept", echo.Custom);
        Assert.Equal("", echo.Traceparent);
        Assert.Equal(1, _bridge.Metric("dnsbridge_forwarded_requests_total", ("cutover", "shop"), ("code", "2xx")));
        Assert.Equal(1, _bridge.Metric("dnsbridge_forward_duration_seconds_count", ("cutover", "shop")));
    }

    [Theory]
    [InlineData("http://WWW.Shop.Example.Test/")]
    [InlineData("http://www.shop.example.test:8080/")]
    [InlineData("http://www.shop.example.test./")]
    public async Task Matches_hosts_case_insensitively_ignoring_port_and_trailing_dot(string url)
    {
        var (status, echo) = await GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("www.shop.example.test", echo!.Host);
    }

    [Fact]
    public async Task Appends_the_peer_to_X_Forwarded_For_set_by_the_source_load_balancer()
    {
        var (_, echo) = await GetAsync("http://shop.example.test/", r => r.Headers.Add("X-Forwarded-For", "203.0.113.9"));
        Assert.Equal("203.0.113.9, 127.0.0.1", echo!.Xff);
        Assert.Equal("http", echo.Proto);
        Assert.Equal("shop.example.test", echo.Xhost);

        var (_, direct) = await GetAsync("http://shop.example.test/");
        Assert.Equal("127.0.0.1", direct!.Xff);
    }

    [Theory]
    [InlineData("http://unknown.example.test/")]
    [InlineData("http://example.test/")]
    [InlineData("http://127.0.0.1/")]
    [InlineData("http://shop.example.test.evil.test/")]
    public async Task Answers_421_for_any_other_host_and_forwards_nothing(string url)
    {
        var (status, _) = await GetAsync(url);

        Assert.Equal(HttpStatusCode.MisdirectedRequest, status);
        Assert.Empty(_seen);
        Assert.Equal(1, _bridge.Metric("dnsbridge_rejected_requests_total", ("reason", "unknown_host")));
    }

    [Fact]
    public async Task Refuses_CONNECT_and_absolute_form_requests_for_other_hosts()
    {
        var connectOther = await LoopbackClient.RawAsync(_bridge.ProxyEndPoint, "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n");
        var connectOurs = await LoopbackClient.RawAsync(_bridge.ProxyEndPoint, "CONNECT shop.example.test:443 HTTP/1.1\r\nHost: shop.example.test:443\r\n\r\n");
        var absolute = await LoopbackClient.RawAsync(_bridge.ProxyEndPoint, "GET http://evil.test/steal HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n");
        var absoluteMismatch = await LoopbackClient.RawAsync(_bridge.ProxyEndPoint, "GET http://evil.test/steal HTTP/1.1\r\nHost: shop.example.test\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 4", connectOther);
        Assert.StartsWith("HTTP/1.1 405", connectOurs);
        Assert.StartsWith("HTTP/1.1 421", absolute);
        Assert.StartsWith("HTTP/1.1 400", absoluteMismatch);
        Assert.Empty(_seen);
    }

    [Fact]
    public async Task Admin_endpoints_are_not_reachable_through_the_proxy_listener()
    {
        var (status, _) = await GetAsync("http://shop.example.test/metrics");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Single(_seen, s => s == "GET shop.example.test/metrics");

        using var raw = new HttpClient();
        using var response = await raw.GetAsync(new Uri(_bridge.ProxyUri, "/metrics"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
    }

    [Fact]
    public async Task Series_of_every_cutover_exist_at_zero_before_any_traffic()
    {
        using var admin = _bridge.CreateAdminClient();
        var text = await admin.GetStringAsync("/metrics");

        foreach (var code in new[] { "2xx", "3xx", "4xx", "5xx" })
        {
            Assert.Equal(0, MetricsText.Value(text, "dnsbridge_forwarded_requests_total", ("cutover", "shop"), ("code", code)));
        }

        Assert.Equal(0, MetricsText.Value(text, "dnsbridge_residual_requests_total", ("cutover", "shop")));
        Assert.Equal(0, MetricsText.Value(text, "dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "connect_refused")));
        Assert.DoesNotContain("code=\"1xx\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_one_access_event_per_forwarded_request_without_query_or_secrets()
    {
        await GetAsync("http://shop.example.test/login?token=s3cr3t", r =>
        {
            r.Headers.Add("Authorization", "Bearer very-secret");
            r.Headers.Add("Cookie", "session=also-secret");
            r.Headers.UserAgent.ParseAdd("test-agent/1.0");
        });

        var access = await WaitForAsync(() => _bridge.Logs.Events.Where(e => e.MessageTemplate.Text.Contains("{Cutover} {Method}", StringComparison.Ordinal)).ToList(), l => l.Count > 0);
        var e = Assert.Single(access);
        Assert.Equal("shop", LogCapture.Property(e, "Cutover"));
        Assert.Equal("/login", LogCapture.Property(e, "Path"));
        Assert.Equal("200", LogCapture.Property(e, "StatusCode"));
        Assert.Equal("127.0.0.1", LogCapture.Property(e, "ClientIp"));
        Assert.Equal("test-agent/1.0", LogCapture.Property(e, "UserAgent"));

        // No per-request Activity or hosting scope behind it: they cost throughput and add nothing to this line.
        Assert.Null(LogCapture.Property(e, "RequestId"));
        Assert.Null(LogCapture.Property(e, "TraceId"));
        Assert.Null(e.TraceId);
        var all = _bridge.Logs.AllText;
        Assert.DoesNotContain("s3cr3t", all, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret", all, StringComparison.Ordinal);
        Assert.DoesNotContain("also-secret", all, StringComparison.Ordinal);
    }

    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var value = read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(20);
        }
    }
}
