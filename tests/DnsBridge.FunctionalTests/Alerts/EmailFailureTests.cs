using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// A relay that refuses mail the sender did not expect to be refused (aiosmtpd demanding AUTH: <c>530 5.7.0</c> to
/// MAIL FROM, for a config without TLS or user, which validation accepts): the alert is failed with the reason, and
/// neither <c>serve</c> nor <c>preflight --send-test-alert</c> dies of it.
/// </summary>
public sealed class EmailFailureTests : IAsyncLifetime
{
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-email-failure").FullName;
    private SmtpServer _smtp = null!;

    public async Task InitializeAsync() => _smtp = await SmtpServer.StartAsync(_ca, "relay-user", "relay-password", requireStartTls: false);

    public async Task DisposeAsync()
    {
        await _smtp.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private object Email => new { Host = "127.0.0.1", _smtp.Port, Tls = false, From = "dnsbridge@example.test", To = new[] { "ops@example.test" } };

    [Fact]
    public async Task Serve_fails_the_alert_with_the_reason_and_stays_up()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
            Alerts = new { Email },
        });

        Assert.True(bridge.Services.GetRequiredService<EventJournal>().Raise("shop", EventNames.DrainComplete, "shop: drained", DateTimeOffset.UtcNow));
        var events = bridge.Services.GetRequiredService<IEventStore>();
        var id = events.Events("shop").Single().Id;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (events.Outbox(id).Single().FailedAt is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var row = events.Outbox(id).Single();
        Assert.True(row.FailedAt is not null, row.LastError);
        Assert.Contains("requires authentication", row.LastError, StringComparison.Ordinal);
        Assert.Empty(_smtp.Messages);
        Assert.False(bridge.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the host is stopping");
        using var admin = bridge.CreateAdminClient();
        Assert.True((await admin.GetAsync("/healthz")).IsSuccessStatusCode);
        Assert.Equal(1, bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "rejected")));
    }

    [Fact]
    public async Task Preflight_send_test_alert_shows_a_failed_row_and_exits_1()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        var file = Path.Combine(_dir, "config.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Alerts = new { Email },
                State = new { Path = Path.Combine(_dir, "state.db") },
            },
        }));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await DnsBridgeCommand.RunAsync(["preflight", "--config", file, "--send-test-alert", "--json"], stdout, stderr);

        Assert.True(code == 1, stderr.ToString());
        using var report = JsonDocument.Parse(stdout.ToString());
        var row = Assert.Single(report.RootElement.GetProperty("results").EnumerateArray(), r => r.GetProperty("check").GetString() == "test alert");
        Assert.Equal("FAIL", row.GetProperty("status").GetString());
        Assert.Contains("not delivered: SMTP 530: the server requires authentication", row.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Empty(_smtp.Messages);
    }
}
