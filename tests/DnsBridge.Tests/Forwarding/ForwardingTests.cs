using System.Net;
using DnsBridge.Tests.Infrastructure;

namespace DnsBridge.Tests.Forwarding;

public sealed class ForwardingTests
{
    [Fact]
    public async Task Forwards_configured_host_to_the_target_keeping_the_host()
    {
        await using var target = await TestUpstream.StartAsync(app => app.MapGet("/{**path}", (HttpContext c) => $"host={c.Request.Host.Value} path={c.Request.Path}"));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
        });

        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(bridge.ProxyUri, "/a/b?x=1"));
        request.Headers.Host = "shop.example.test";
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("host=shop.example.test path=/a/b", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, bridge.Metric("dnsbridge_forwarded_requests_total", ("cutover", "shop"), ("code", "2xx")));
    }
}
