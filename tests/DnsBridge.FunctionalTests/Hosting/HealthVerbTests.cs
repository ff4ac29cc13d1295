using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Hosting;

/// <summary>
/// <c>dnsbridge health</c>, the container's health check: it finds the admin listener where the configuration (file
/// and DNSBRIDGE__ environment) puts it, asks a wildcard listener on loopback, and tells healthy (0), not (1) and a
/// configuration it cannot read (2) apart.
/// </summary>
public sealed class HealthVerbTests : IAsyncLifetime
{
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync() => _bridge = await BridgeHost.StartAsync(new
    {
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = 9, Scheme = "http" } } },
    });

    public async Task DisposeAsync() => await _bridge.DisposeAsync();

    [Fact]
    public async Task An_admin_listener_moved_by_the_environment_to_a_wildcard_address_is_asked_on_loopback()
    {
        var port = _bridge.AdminEndPoint.Port;

        var (code, output) = await DnsBridgeVerb.RunAsync(_bridge.Directory, [("DNSBRIDGE__Listen__Admin", $"http://0.0.0.0:{port}")],
            "health", "--config", _bridge.ConfigPath);

        Assert.True(code == 0, output);
        Assert.Contains($"healthy: http://127.0.0.1:{port}/healthz", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_answering_on_the_configured_admin_port_is_unhealthy()
    {
        var port = BridgeProcess.FreePort();

        var (code, output) = await DnsBridgeVerb.RunAsync(_bridge.Directory, [("DNSBRIDGE__Listen__Admin", $"http://[::]:{port}")],
            "health", "--config", _bridge.ConfigPath);

        Assert.True(code == 1, output);
        Assert.Contains($"unhealthy: http://[::1]:{port}/healthz", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_listener_that_cannot_be_told_exits_2_naming_the_key()
    {
        var (code, output) = await DnsBridgeVerb.RunAsync(_bridge.Directory, [("DNSBRIDGE__Listen__Admin", "admin.example.test:8081")],
            "health", "--config", _bridge.ConfigPath);

        Assert.True(code == 2, output);
        Assert.Contains("DnsBridge:Listen:Admin", output, StringComparison.Ordinal);
    }
}
