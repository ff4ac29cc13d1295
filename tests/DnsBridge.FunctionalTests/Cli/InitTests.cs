using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.UnitTests.Configuration;

namespace DnsBridge.FunctionalTests.Cli;

/// <summary>
/// The newcomer's first ten minutes: from an empty folder, <c>init</c> asks a real DNS server what the hosts answer
/// today, writes a config that <c>validate</c> and the schema accept, and <c>serve</c> forwards with it unedited.
/// </summary>
public sealed class InitTests : IDisposable
{
    private const string Source = "198.51.100.7";

    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-newcomer").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task From_an_empty_folder_init_validate_and_serve_forward_to_the_target()
    {
        await using var target = await TestUpstream.StartAsync(app => app.MapGet("/", (HttpContext c) => $"target saw {c.Request.Host.Host}"));
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { ["shop.test"] = [Source], ["www.shop.test"] = [Source] });

        var (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "init", "--host", "shop.test", "--host", "www.shop.test",
            "--target", $"{target.Address}:{target.Port}", "--resolver", dns.Address);

        Assert.True(code == 0, output);
        Assert.Contains($"asking {dns.Address} (--resolver) about shop.test, www.shop.test", output, StringComparison.Ordinal);
        Assert.Contains($"shop.test      {Source}", output, StringComparison.Ordinal);
        Assert.Contains($"wrote dnsbridge.json: cutover shop.test, http://{target.Address}:{target.Port}, source {Source}", output, StringComparison.Ordinal);
        Assert.Contains("the zone's name servers: not found", output, StringComparison.Ordinal);
        Assert.Contains("dnsbridge validate --config dnsbridge.json", output, StringComparison.Ordinal);
        Assert.Contains("dnsbridge preflight --config dnsbridge.json", output, StringComparison.Ordinal);
        Assert.Contains("dnsbridge serve --config dnsbridge.json", output, StringComparison.Ordinal);

        var config = Path.Combine(_dir, "dnsbridge.json");
        Assert.Empty(ConfigSchema.Errors(await File.ReadAllTextAsync(config)));
        Assert.Equal(await File.ReadAllTextAsync(ConfigSchema.FilePath), await File.ReadAllTextAsync(Path.Combine(_dir, "dnsbridge.schema.json")));

        (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "validate", "--config", "dnsbridge.json");
        Assert.True(code == 0, output);
        Assert.Contains($"shop.test: shop.test, www.shop.test -> http://{target.Address}:{target.Port}", output, StringComparison.Ordinal);

        // The file as init wrote it; only the ports move off 8080/8081, through the environment as in a container.
        var (proxyPort, adminPort) = (BridgeProcess.FreePort(), BridgeProcess.FreePort());
        await using var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort, readOutput: true,
            [("DNSBRIDGE__Listen__Proxy", $"http://127.0.0.1:{proxyPort}"), ("DNSBRIDGE__Listen__Admin", $"http://127.0.0.1:{adminPort}")]);
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{proxyPort}/");
        request.Headers.Host = "www.shop.test";
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("target saw www.shop.test", await response.Content.ReadAsStringAsync());

        (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "init", "--host", "shop.test", "--target", target.Address);
        Assert.Equal(2, code);
        Assert.Contains("dnsbridge.json exists; pass --force to overwrite it", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_source_backend_the_cutover_starts_in_rehearsal_served_by_the_old_application()
    {
        await using var target = await TestUpstream.StartAsync(app => app.MapGet("/", () => "target"));
        await using var old = await TestUpstream.StartAsync(app => app.MapGet("/", (HttpContext c) => $"old application saw {c.Request.Host.Host}"));
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { ["shop.test"] = [Source] });

        var (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "init", "--host", "shop.test", "--target", $"{target.Address}:{target.Port}",
            "--source-backend", $"http://{old.Address}:{old.Port}", "--resolver", dns.Address);

        Assert.True(code == 0, output);
        Assert.Contains($"it starts in rehearsal: served by http://{old.Address}:{old.Port}", output, StringComparison.Ordinal);
        Assert.Contains("export DNSBRIDGE_ADMIN_TOKEN=", output, StringComparison.Ordinal);
        Assert.Contains("dnsbridge switch shop.test --admin http://127.0.0.1:8081", output, StringComparison.Ordinal);
        var config = Path.Combine(_dir, "dnsbridge.json");
        Assert.Empty(ConfigSchema.Errors(await File.ReadAllTextAsync(config)));
        (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "validate", "--config", "dnsbridge.json");
        Assert.True(code == 0, output);

        var (proxyPort, adminPort) = (BridgeProcess.FreePort(), BridgeProcess.FreePort());
        await using var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort, readOutput: true,
            [("DNSBRIDGE__Listen__Proxy", $"http://127.0.0.1:{proxyPort}"), ("DNSBRIDGE__Listen__Admin", $"http://127.0.0.1:{adminPort}")]);
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{proxyPort}/");
        request.Headers.Host = "shop.test";
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("old application saw shop.test", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("old-app.internal:8080", "--source-backend old-app.internal:8080: must be [http://|https://]IP[:PORT]")]
    [InlineData("203.0.113.10:80", "--source-backend 203.0.113.10:80: is the target itself")]
    public async Task A_source_backend_that_is_not_an_address_of_the_old_application_exits_2_and_writes_nothing(string value, string error)
    {
        var (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "init", "--host", "shop.test", "--target", "203.0.113.10", "--source-backend", value);

        Assert.Equal(2, code);
        Assert.Contains(error, output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "dnsbridge.json")));
    }

    [Fact]
    public async Task A_record_already_on_the_target_is_said_and_not_taken_for_the_source()
    {
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { ["shop.test"] = ["203.0.113.10", Source] });

        var (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "init", "--host", "shop.test", "--target", "203.0.113.10", "--https", "--resolver", dns.Address, "-o", "shop.json");

        Assert.True(code == 0, output);
        Assert.Contains("already the target 203.0.113.10: has the switch happened?", output, StringComparison.Ordinal);
        Assert.Contains($"wrote shop.json: cutover shop.test, https://203.0.113.10:443, source {Source}", output, StringComparison.Ordinal);
        (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "validate", "--config", "shop.json");
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Without_an_answer_it_says_what_it_could_not_find_and_writes_what_it_can()
    {
        // Nothing listens there: what an offline machine or a blocked port 53 looks like.
        var silent = $"127.0.0.1:{BridgeProcess.FreePort()}";

        var (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "init", "--host", "shop.test", "--target", "203.0.113.10", "--resolver", silent);

        Assert.True(code == 0, output);
        Assert.Contains("shop.test  no address found (", output, StringComparison.Ordinal);
        Assert.Contains("no source address (fill in Cutovers:0:SourceAddresses)", output, StringComparison.Ordinal);
        (code, output) = await DnsBridgeVerb.RunAsync(_dir, [], "validate", "--config", "dnsbridge.json");
        Assert.True(code == 0, output);
        Assert.Empty(ConfigSchema.Errors(await File.ReadAllTextAsync(Path.Combine(_dir, "dnsbridge.json"))));
    }
}
