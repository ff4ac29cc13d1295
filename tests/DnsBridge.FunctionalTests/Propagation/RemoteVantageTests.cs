using System.Net.Http.Headers;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// Two real <c>serve</c> processes, each with its own dnsmasq resolver: the remote one is a vantage of the local one,
/// reached over its admin API with its bearer token. The local instance does not call propagation complete until the
/// remote's resolver gives the target; a stopped remote, or a wrong or missing token, is an error row that holds it;
/// the token never appears in either process's output.
/// </summary>
public sealed class RemoteVantageTests : IDisposable
{
    private const string Host = "shop.example.test";
    private const string Target = "127.0.0.2";
    private const string Source = "198.51.100.7";
    private const string Token = "vantage-token-7f3a9c2e51d84b06";
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-vantage").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Completion_waits_for_the_remote_resolvers_and_a_stopped_remote_holds_it_with_an_error_row()
    {
        await using var localDns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        await using var remoteDns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] });
        var remote = await StartAsync("remote", remoteDns, adminToken: Token, vantages: []);
        await using var remoteLease = remote;
        await using var local = await StartAsync("local", localDns, adminToken: null, vantages: [new { Name = "cn-north", Url = remote.AdminUri.ToString().TrimEnd('/'), Token }]);

        // The local resolver already gives the target; the remote one still gives the source: not complete.
        var held = await WaitForAsync(local, p => Row(p, "cn-north") is { } r && r.GetProperty("answer").GetString() == "source", remote);
        Assert.False(held.GetProperty("complete").GetBoolean());
        Assert.Equal("target", Row(held, "local")!.Value.GetProperty("answer").GetString());
        Assert.Equal("remote-dns", Row(held, "cn-north")!.Value.GetProperty("name").GetString());
        using (var admin = new HttpClient { BaseAddress = local.AdminUri })
        {
            var metrics = await admin.GetStringAsync("/metrics");
            Assert.Equal(1, MetricsText.Value(metrics, "dnsbridge_dns_resolver_answer", ("cutover", "shop"), ("vantage", "cn-north"), ("answer", "source")));
            Assert.Equal(1, MetricsText.Value(metrics, "dnsbridge_dns_resolver_answer", ("cutover", "shop"), ("vantage", "local"), ("answer", "target")));
        }

        // The remote only ever exports what it asked itself: its rows are all its own.
        var remoteView = await PropagationAsync(remote, Token);
        Assert.All(remoteView!.Value.GetProperty("resolvers").EnumerateArray(), r => Assert.Equal("local", r.GetProperty("vantage").GetString()));

        await remoteDns.SetAsync(Host, Target);
        var complete = await WaitForAsync(local, p => p.GetProperty("complete").GetBoolean(), remote);
        Assert.Equal("target", Row(complete, "cn-north")!.Value.GetProperty("answer").GetString());

        remote.Kill();
        var stopped = await WaitForAsync(local, p => Row(p, "cn-north") is { } r && r.GetProperty("name").GetString() == "vantage cn-north", remote);
        Assert.False(stopped.GetProperty("complete").GetBoolean());
        var row = Row(stopped, "cn-north")!.Value;
        Assert.Equal("error", row.GetProperty("answer").GetString());
        Assert.StartsWith("unreachable", row.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Token, local.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, remote.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_or_missing_token_is_an_error_row_that_holds_completion_and_no_token_is_ever_printed()
    {
        const string Wrong = "wrong-token-0123456789abcdef";
        await using var localDns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        await using var remoteDns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        await using var remote = await StartAsync("remote", remoteDns, adminToken: Token, vantages: []);
        var url = remote.AdminUri.ToString().TrimEnd('/');
        await using var local = await StartAsync("local", localDns, adminToken: null, vantages: [new { Name = "wrong", Url = url, Token = Wrong }, new { Name = "missing", Url = url, Token = "" }]);

        var held = await WaitForAsync(local, p => Row(p, "wrong") is { } w && w.GetProperty("answer").GetString() == "error" && Row(p, "missing") is { } m && m.GetProperty("answer").GetString() == "error", remote);
        Assert.False(held.GetProperty("complete").GetBoolean());
        foreach (var vantage in new[] { "wrong", "missing" })
        {
            var row = Row(held, vantage)!.Value;
            Assert.Equal($"vantage {vantage}", row.GetProperty("name").GetString());
            Assert.Contains("401", row.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // The remote itself has propagated: only the vantages that cannot be read hold the local instance.
        Assert.True((await PropagationAsync(remote, Token))!.Value.GetProperty("complete").GetBoolean());
        Assert.Contains("Remote vantage wrong", local.Output, StringComparison.Ordinal);
        foreach (var secret in new[] { Token, Wrong })
        {
            Assert.DoesNotContain(secret, local.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, remote.Output, StringComparison.Ordinal);
        }
    }

    private async Task<BridgeProcess> StartAsync(string name, Dnsmasq dns, string? adminToken, object[] vantages)
    {
        int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
        var dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var config = Path.Combine(dir, "dnsbridge.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}", AdminToken = adminToken },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { Address = Target, Port = 80, Scheme = "http" }, SourceAddresses = new[] { Source } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = $"{name}-dns", dns.Address, Region = "loopback" } } },
                Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500", Vantages = vantages },
                State = new { Path = Path.Combine(dir, "state.db") },
            },
        }));
        return await BridgeProcess.StartAsync(config, proxyPort, adminPort);
    }

    private static JsonElement? Row(JsonElement propagation, string vantage) =>
        propagation.GetProperty("resolvers").EnumerateArray().Where(r => r.GetProperty("vantage").GetString() == vantage).Select(r => (JsonElement?)r).FirstOrDefault();

    private static async Task<JsonElement?> PropagationAsync(BridgeProcess bridge, string? token)
    {
        using var admin = new HttpClient { BaseAddress = bridge.AdminUri, Timeout = TimeSpan.FromSeconds(5) };
        if (token is not null)
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
        var propagation = doc.RootElement.GetProperty("propagation");
        return propagation.ValueKind == JsonValueKind.Object ? propagation.Clone() : null;
    }

    /// <summary>Polls the local API (bounded) until the propagation view satisfies <paramref name="condition"/>.</summary>
    private static async Task<JsonElement> WaitForAsync(BridgeProcess local, Func<JsonElement, bool> condition, BridgeProcess remote)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await PropagationAsync(local, null);
            if (last is { } view && condition(view))
            {
                return view;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"condition not met; last view: {last}\nlocal output:\n{local.Output}\nremote output:\n{remote.Output}");
    }
}
