using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Preflight;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Preflight;

namespace DnsBridge.FunctionalTests.Preflight;

/// <summary>The pre-cutover checklist against real loopback targets with test certificates.</summary>
public sealed class PreflightTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-preflight").FullName;

    // The zone as it should be before the switch: the host points at the source with a short TTL.
    private Dnsmasq _dns = null!;

    public async Task InitializeAsync() =>
        _dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, 60,
            "--auth-zone=example.test", "--auth-server=ns.example.test,127.0.0.1", "--auth-soa=2026112501", "--auth-ttl=60");

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort() => Ports.Free();

    private static Task<TestUpstream> TargetAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, int status = 200) =>
        TestUpstream.StartAsync(app => app.Map("/{**p}", (HttpContext c) => Results.StatusCode(c.Request.Headers.Host == Host ? status : 421)), certificate);

    private string WriteConfig(string address, int port, string scheme, object? extraTarget = null, object? listen = null, object? webhooks = null, string? statePath = null)
    {
        var target = JsonSerializer.SerializeToNode(new { Address = address, Port = port, Scheme = scheme, CaFile = scheme == "https" ? _ca.WriteCaPem(_dir) : null, Timeout = "00:00:05" })!.AsObject();
        if (extraTarget is not null)
        {
            foreach (var (k, v) in JsonSerializer.SerializeToNode(extraTarget)!.AsObject())
            {
                target[k] = v?.DeepClone();
            }
        }

        var section = new
        {
            Listen = listen ?? new { Proxy = $"http://127.0.0.1:{FreePort()}", Admin = $"http://127.0.0.1:{FreePort()}" },
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = target, SourceAddresses = new[] { Source } } },
            Alerts = new { Webhooks = webhooks ?? Array.Empty<object>() },
            State = new { Path = statePath ?? Path.Combine(_dir, "state.db") },
            Resolvers = new { Preset = "none", AuthoritativeServers = new[] { _dns.Address }, Custom = new[] { new { Name = "local", Address = _dns.Address } } },
        };
        var file = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new { DnsBridge = section }));
        return file;
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<PreflightReport> ReportAsync(string file)
    {
        var (config, errors) = ConfigLoader.Load(file);
        Assert.Empty(errors);
        return await new PreflightRunner(TimeProvider.System, new PreflightDnsChecks(new DnsQuerier())).RunAsync(config, null, includeLocal: true, CancellationToken.None);
    }

    private static PreflightResult Row(PreflightReport report, string check) => Assert.Single(report.Results, r => r.Check == check);

    [Fact]
    public async Task A_ready_https_target_passes_every_row_and_exits_0_with_json()
    {
        await using var target = await TargetAsync(_ca.Issue([Host]));
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", () => "ok"));
        var file = WriteConfig(target.Address, target.Port, "https", webhooks: new[] { new { Url = $"http://127.0.0.1:{receiver.Port}/hook" } });

        var (code, output, _) = await RunAsync("preflight", "--config", file, "--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("PASS", json.RootElement.GetProperty("overall").GetString());
        var checks = json.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("check").GetString()).ToList();
        Assert.Contains("tcp connect", checks);
        Assert.Contains("certificate", checks);
        Assert.Contains("health path", checks);
        Assert.Contains("state store", checks);
        Assert.Contains("authoritative agreement", checks);
        Assert.Contains("record ttl", checks);
        Assert.Contains("current answer", checks);
        Assert.Contains("resolver coverage", checks);
        Assert.All(json.RootElement.GetProperty("results").EnumerateArray(), r => Assert.Equal("PASS", r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Certificates_for_another_name_or_from_an_unknown_CA_fail()
    {
        await using var other = await TargetAsync(_ca.Issue(["other.example.test"]));
        var report = await ReportAsync(WriteConfig(other.Address, other.Port, "https"));
        var row = Row(report, "certificate");
        Assert.Equal(PreflightStatus.Fail, row.Status);
        Assert.Contains($"not valid for {Host}", row.Found, StringComparison.Ordinal);

        using var foreign = new TestCertificates("Some Other CA");
        await using var untrusted = await TargetAsync(foreign.Issue([Host]));
        report = await ReportAsync(WriteConfig(untrusted.Address, untrusted.Port, "https"));
        row = Row(report, "certificate");
        Assert.Equal(PreflightStatus.Fail, row.Status);
        Assert.Contains("not trusted", row.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_not_yet_valid_and_soon_expiring_certificates_are_flagged()
    {
        var now = DateTimeOffset.UtcNow;
        await using var expired = await TargetAsync(_ca.Issue([Host], now.AddDays(-30), now.AddDays(-1)));
        Assert.Contains("expired", Row(await ReportAsync(WriteConfig(expired.Address, expired.Port, "https")), "certificate").Found, StringComparison.Ordinal);

        await using var future = await TargetAsync(_ca.Issue([Host], now.AddDays(2), now.AddDays(90)));
        var notYet = Row(await ReportAsync(WriteConfig(future.Address, future.Port, "https")), "certificate");
        Assert.Equal(PreflightStatus.Fail, notYet.Status);
        Assert.Contains("not valid yet", notYet.Found, StringComparison.Ordinal);

        await using var soon = await TargetAsync(_ca.Issue([Host], now.AddDays(-80), now.AddDays(5)));
        var warn = Row(await ReportAsync(WriteConfig(soon.Address, soon.Port, "https")), "certificate");
        Assert.Equal(PreflightStatus.Warn, warn.Status);
        Assert.Contains("expires in", warn.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_target_fails_per_row_without_crashing()
    {
        var file = WriteConfig("127.0.0.1", FreePort(), "https");

        var (code, output, _) = await RunAsync("preflight", "--config", file);

        Assert.Equal(1, code);
        Assert.Contains("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("connection refused", output, StringComparison.Ordinal);
        Assert.Contains("NOT ready for the DNS switch", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, PreflightStatus.Fail)]
    [InlineData(404, PreflightStatus.Warn)]
    [InlineData(204, PreflightStatus.Pass)]
    internal async Task The_health_path_is_asked_with_the_host_name_and_judged_by_status(int status, PreflightStatus expected)
    {
        await using var target = await TargetAsync(null, status);
        var row = Row(await ReportAsync(WriteConfig(target.Address, target.Port, "http", new { HealthPath = "/ready" })), "health path");

        Assert.Equal(expected, row.Status);
        Assert.Contains($"GET /ready with Host {Host} answered {status}", row.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowInvalidCertificate_turns_certificate_failures_into_warnings_and_says_so()
    {
        await using var other = await TargetAsync(_ca.Issue(["other.example.test"]));
        var report = await ReportAsync(WriteConfig(other.Address, other.Port, "https", new { AllowInvalidCertificate = true }));

        Assert.Equal(PreflightStatus.Warn, Row(report, "certificate").Status);
        Assert.Equal(PreflightStatus.Warn, Row(report, "certificate validation").Status);
        Assert.NotEqual(PreflightStatus.Fail, report.Overall);
    }

    [Fact]
    public async Task Local_checks_find_a_taken_port_a_missing_state_directory_and_an_unreachable_webhook()
    {
        await using var target = await TargetAsync(null);
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", () => "ok"));
        var file = WriteConfig(target.Address, target.Port, "http",
            listen: new { Proxy = $"http://127.0.0.1:{taken}", Admin = $"http://127.0.0.1:{FreePort()}" },
            webhooks: new object[]
            {
                new { Name = "ops", Url = $"http://127.0.0.1:{receiver.Port}/hook?token=s3cret", Headers = new { Authorization = "Bearer hidden" } },
                new { Name = "down", Url = $"http://127.0.0.1:{FreePort()}/down" },
            },
            statePath: Path.Combine(_dir, "no-such-dir", "state.db"));

        var report = await ReportAsync(file);

        Assert.Equal(PreflightStatus.Fail, Row(report, "proxy listener").Status);
        Assert.Equal(PreflightStatus.Pass, Row(report, "admin listener").Status);
        Assert.Equal(PreflightStatus.Fail, Row(report, "state store").Status);
        var hooks = report.Results.Where(r => r.Check == "webhook reachable").ToList();
        Assert.Equal([PreflightStatus.Pass, PreflightStatus.Fail], hooks.Select(h => h.Status));
        var all = PreflightFormatter.ToJson(report);
        Assert.DoesNotContain("s3cret", all, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Markdown_is_a_report_a_project_office_can_file()
    {
        await using var target = await TargetAsync(null);
        var (code, output, _) = await RunAsync("preflight", "--config", WriteConfig(target.Address, target.Port, "http"), "--markdown");

        Assert.Equal(0, code);
        Assert.StartsWith("# DnsBridge pre-cutover checklist", output, StringComparison.Ordinal);
        Assert.Contains("| status | cutover | check | subject | found | action |", output, StringComparison.Ordinal);
        Assert.Contains("| PASS | shop | target: tcp connect |", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_test_alert_goes_through_the_outbox_once_and_reports_each_receivers_answer()
    {
        await using var target = await TargetAsync(null);
        var received = new System.Collections.Concurrent.ConcurrentQueue<(string Path, string Body, string Key, string Auth)>();
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/{hook}", async (string hook, HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            received.Enqueue((hook, await reader.ReadToEndAsync(), c.Request.Headers["Idempotency-Key"].ToString(), c.Request.Headers.Authorization.ToString()));
            return hook == "ok" ? Results.Ok() : Results.StatusCode(503);
        }));
        var statePath = Path.Combine(_dir, "alerts.db");
        var file = WriteConfig(target.Address, target.Port, "http", statePath: statePath, webhooks: new object[]
        {
            new { Name = "ok", Url = $"http://127.0.0.1:{receiver.Port}/ok", Headers = new { Authorization = "Bearer t0ken" } },
            new { Name = "down", Url = $"http://127.0.0.1:{receiver.Port}/down?key=s3cret" },
        });

        var (code, output, _) = await RunAsync("preflight", "--config", file, "--json", "--send-test-alert");

        Assert.Equal(1, code);
        using var json = JsonDocument.Parse(output);
        var rows = json.RootElement.GetProperty("results").EnumerateArray().Where(r => r.GetProperty("check").GetString() == "test alert").ToList();
        Assert.Equal(["PASS", "FAIL"], rows.Select(r => r.GetProperty("status").GetString()));
        Assert.Contains("HTTP 503", rows[1].GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", output, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken", output, StringComparison.Ordinal);

        // Each receiver was asked exactly once, with the marked test event and its id as the idempotency key.
        Assert.Equal(["ok", "down"], received.Select(r => r.Path).Order(StringComparer.Ordinal).Reverse());
        var delivered = received.Single(r => r.Path == "ok");
        using var body = JsonDocument.Parse(delivered.Body);
        Assert.Equal("test_alert", body.RootElement.GetProperty("event").GetString());
        Assert.StartsWith("TEST alert", body.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(body.RootElement.GetProperty("id").GetString(), delivered.Key);
        Assert.Equal("Bearer t0ken", delivered.Auth);

        // Nothing is left in the outbox for a later serve to retry, and no cutover's drain status was touched.
        using var stores = DnsBridge.State.StateStores.Open(new StateConfig { Path = statePath }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Assert.Empty(stores.Events.DueDeliveries(DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Empty(stores.Statuses.Load());
        Assert.Equal("test_alert", Assert.Single(stores.Events.Events("shop")).Event);
    }

    [Fact]
    public async Task Usage_errors_exit_2()
    {
        await using var target = await TargetAsync(null);
        var file = WriteConfig(target.Address, target.Port, "http");

        Assert.Equal(2, (await RunAsync("preflight", "--config", file, "--cutover", "nope")).Code);
        Assert.Equal(2, (await RunAsync("preflight", "--config", file, "--json", "--markdown")).Code);
        Assert.Equal(2, (await RunAsync("preflight")).Code);
    }
}
