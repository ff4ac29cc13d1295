using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// Chat webhooks (Slack, Teams, Discord, DingTalk, Feishu) carry their secret in the URL's path or query: no log
/// property, validate error, preflight output or API answer may show more than scheme, host, port and a fingerprint.
/// </summary>
public sealed class WebhookSecretTests : IDisposable
{
    private const string PathSecret = "T0PATHSECRET";
    private const string QuerySecret = "Q0QUERYSECRET";
    private const string HeaderSecret = "H0HEADERSECRET";
    private const string SigningSecret = "SEC0SIGNINGSECRET";
    private const string SmtpPassword = "P0SMTPPASSWORD";
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-secrets").FullName;
    private int _failFirst = 1;

    private static string[] Secrets => [PathSecret, QuerySecret, HeaderSecret, SigningSecret, SmtpPassword];

    private static void AssertNoSecret(string text)
    {
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    private static string SecretUrl(int port, string hook = "hook") => $"http://127.0.0.1:{port}/{hook}/services/{PathSecret}?token={QuerySecret}";

    private Task<TestUpstream> ReceiverAsync() => TestUpstream.StartAsync(app => app.MapPost("/{hook}/services/{secret}", (string hook) =>
        hook == "down" || Interlocked.Decrement(ref _failFirst) >= 0 ? Results.StatusCode(503) : Results.Ok()));

    [Fact]
    public async Task A_failed_then_successful_delivery_logs_no_part_of_the_secret_in_any_property()
    {
        await using var receiver = await ReceiverAsync();
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
            Alerts = new { Webhooks = new[] { new { Url = SecretUrl(receiver.Port), Headers = new { Authorization = $"Bearer {HeaderSecret}" } } } },
        });

        Assert.True(bridge.Services.GetRequiredService<EventJournal>().Raise("shop", EventNames.DrainComplete, "shop: drained", DateTimeOffset.UtcNow));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")) < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1, bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "retry")));
        Assert.Equal(1, bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")));

        // Both log lines were written and name the receiver in its safe form (the test is not passing vacuously).
        var logs = bridge.Logs.AllText;
        Assert.Contains("HTTP 503", logs, StringComparison.Ordinal);
        Assert.Contains("delivered to", logs, StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{receiver.Port}", logs, StringComparison.Ordinal);
        AssertNoSecret(logs);

        // The API (and the status page, which renders it) and the preflight rows it serves.
        using var admin = bridge.CreateAdminClient();
        AssertNoSecret(await admin.GetStringAsync("/api/cutovers"));
        AssertNoSecret(await admin.GetStringAsync("/api/cutovers/shop/preflight"));
    }

    [Fact]
    public async Task Validate_does_not_echo_an_invalid_webhook_url()
    {
        var file = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = 80, Scheme = "http" } } },
                Alerts = new { Webhooks = new[] { new { Url = $"htps://hooks.slack.com/services/{PathSecret}?token={QuerySecret}" } } },
                State = new { Path = Path.Combine(_dir, "state.db") },
            },
        }));

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(["validate", "--config", file], stdout, stderr);

        Assert.Equal(2, code);
        var output = stdout + "\n" + stderr;
        Assert.Contains("DnsBridge:Alerts:Webhooks:0:Url", output, StringComparison.Ordinal);
        AssertNoSecret(output);
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("--markdown")]
    [InlineData(null)]
    public async Task Preflight_with_a_test_alert_shows_no_secret_in_any_format(string? format)
    {
        await using var receiver = await ReceiverAsync();
        _failFirst = 0;
        var file = Path.Combine(_dir, "preflight.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = receiver.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Alerts = new
                {
                    Webhooks = new object[]
                    {
                        new { Name = "ok", Url = SecretUrl(receiver.Port), Headers = new { Authorization = $"Bearer {HeaderSecret}" } },
                        new { Name = "down", Url = SecretUrl(receiver.Port, "down") },
                    },
                },
                State = new { Path = Path.Combine(_dir, "state.db") },
            },
        }));

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        string[] args = ["preflight", "--config", file, "--send-test-alert", .. format is null ? Array.Empty<string>() : [format]];
        await DnsBridgeCommand.RunAsync(args, stdout, stderr);

        var output = stdout + "\n" + stderr;
        Assert.Contains("test alert", output, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", output, StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{receiver.Port}", output, StringComparison.Ordinal);
        AssertNoSecret(output);
    }

    /// <summary>
    /// A DingTalk robot that refuses the first attempt as too fast, then takes it: the signing secret never shows (the
    /// sign made from it is in the query, which is never logged either); an SMTP server that refuses the password.
    /// </summary>
    [Fact]
    public async Task A_signing_secret_and_the_email_password_are_in_no_log_line_api_answer_or_preflight_row()
    {
        using var ca = new TestCertificates();
        await using var smtp = await SmtpServer.StartAsync(ca, "dnsbridge", "the-right-one");
        var calls = 0;
        await using var robot = await TestUpstream.StartAsync(app => app.MapPost("/robot/send", () => Interlocked.Increment(ref calls) == 1
            ? Results.Json(new { errcode = -1, errmsg = "system busy" })
            : Results.Json(new { errcode = 0, errmsg = "ok" })));
        var alerts = new
        {
            Webhooks = new[] { new { Name = "dingtalk", Url = $"http://127.0.0.1:{robot.Port}/robot/send?access_token={QuerySecret}", Format = "dingtalk", Secret = SigningSecret } },
            Email = new { Host = "127.0.0.1", smtp.Port, Username = "dnsbridge", Password = SmtpPassword, From = "dnsbridge@example.test", To = new[] { "ops@example.test" }, CaFile = ca.WriteCaPem(_dir) },
        };
        await using (var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = robot.Port, Scheme = "http" } } },
            Alerts = alerts,
        }))
        {
            Assert.True(bridge.Services.GetRequiredService<EventJournal>().Raise("shop", EventNames.DrainComplete, "shop: drained", DateTimeOffset.UtcNow));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")) < 1
                || bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "rejected")) < 1) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            var logs = bridge.Logs.AllText;
            Assert.Contains("DingTalk errcode -1", logs, StringComparison.Ordinal);
            Assert.Contains("authentication failed", logs, StringComparison.Ordinal);
            Assert.Contains($"smtp://127.0.0.1:{smtp.Port}", logs, StringComparison.Ordinal);
            AssertNoSecret(logs);
            using var admin = bridge.CreateAdminClient();
            var api = await admin.GetStringAsync("/api/cutovers");
            AssertNoSecret(api);

            // The failed email is listed with where it goes, never with its user or password.
            Assert.Contains($"smtp://127.0.0.1:{smtp.Port} (STARTTLS)", api, StringComparison.Ordinal);
        }

        // preflight --send-test-alert: one row per receiver, email included, in every output format.
        var file = Path.Combine(_dir, "preflight-channels.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = robot.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Alerts = alerts,
                State = new { Path = Path.Combine(_dir, "preflight-channels.db") },
            },
        }));
        foreach (var format in new[] { "--json", "--markdown", "--text" })
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            string[] args = ["preflight", "--config", file, "--send-test-alert", .. format == "--text" ? Array.Empty<string>() : [format]];
            await DnsBridgeCommand.RunAsync(args, stdout, stderr);
            var output = stdout + "\n" + stderr;
            Assert.Contains($"email: smtp://127.0.0.1:{smtp.Port} (STARTTLS)", output, StringComparison.Ordinal);
            Assert.Contains("authentication failed", output, StringComparison.Ordinal);
            Assert.Contains("dingtalk (dingtalk)", output, StringComparison.Ordinal);
            AssertNoSecret(output);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
