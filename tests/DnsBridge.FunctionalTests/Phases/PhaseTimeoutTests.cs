using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>
/// The source backend is forwarded to with the cutover target's timeouts: a source backend that never answers gets the
/// client a 504 at <c>Target.RequestTimeout</c> (or <c>Target.Timeout</c>, whichever comes first) in rehearsal and
/// after a rollback, like a silent target would, and is not counted as a target error.
/// </summary>
public sealed class PhaseTimeoutTests
{
    [Fact]
    public async Task A_silent_source_backend_gets_504_at_RequestTimeout_in_rehearsal_and_after_a_rollback()
    {
        using var release = new CancellationTokenSource();
        await using var source = await StartSilentAsync(release.Token);
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "target"));

        // Timeout (60 s) is twice the client's own 30 s: a 504 the client sees can only come from RequestTimeout.
        await using var bridge = await StartAsync(source, target, timeout: "00:01:00", requestTimeout: "00:00:01");

        Assert.Equal(HttpStatusCode.GatewayTimeout, (await GetAsync(bridge, timeout: TimeSpan.FromSeconds(30))).Status);

        Assert.Equal(0, (await CliAsync(bridge, "switch", "shop")).Exit);
        Assert.Equal((HttpStatusCode.OK, "target"), await StatusAndBodyAsync(bridge));

        Assert.Equal(0, (await CliAsync(bridge, "rollback", "shop")).Exit);
        Assert.Equal(HttpStatusCode.GatewayTimeout, (await GetAsync(bridge, timeout: TimeSpan.FromSeconds(30))).Status);

        await release.CancelAsync();
        Assert.Equal(0, await MetricAsync(bridge, "dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "timeout")));
    }

    [Fact]
    public async Task A_silent_source_backend_gets_504_at_Timeout_when_RequestTimeout_is_longer()
    {
        using var release = new CancellationTokenSource();
        await using var source = await StartSilentAsync(release.Token);
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "target"));

        // The other way round: RequestTimeout (60 s) is beyond the client's 30 s, so the 504 is Timeout's.
        await using var bridge = await StartAsync(source, target, timeout: "00:00:01", requestTimeout: "00:01:00");

        Assert.Equal(HttpStatusCode.GatewayTimeout, (await GetAsync(bridge, timeout: TimeSpan.FromSeconds(30))).Status);
        await release.CancelAsync();
    }

    private static Task<BridgeHost> StartAsync(TestUpstream source, TestUpstream target, string timeout, string requestTimeout) => BridgeHost.StartAsync(new
    {
        Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AdminToken = Token },
        Cutovers = new[]
        {
            new
            {
                Name = "shop", Hosts = new[] { ShopHost },
                Target = new { target.Address, target.Port, Scheme = "http", Timeout = timeout, RequestTimeout = requestTimeout },
                SourceBackend = new { source.Address, source.Port, Scheme = "http" },
            },
        },
    });

    private static async Task<(HttpStatusCode, string)> StatusAndBodyAsync(BridgeHost bridge)
    {
        var (status, body, _) = await GetAsync(bridge);
        return (status, body);
    }

    /// <summary>Accepts the request and never answers (until the test lets it go or the request is cancelled).</summary>
    private static Task<TestUpstream> StartSilentAsync(CancellationToken release) => TestUpstream.StartAsync(app => app.Map("/{**p}", async (HttpContext c) =>
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(release, c.RequestAborted);
        await Task.Delay(Timeout.Infinite, linked.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    }));
}
