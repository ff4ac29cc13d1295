using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Preflight;

/// <summary><c>preflight --send-test-alert</c> sends the test event to every channel: each webhook in its format, and email.</summary>
public sealed class PreflightChannelsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-preflight-channels").FullName;

    [Fact]
    public async Task Every_webhook_format_and_email_get_the_test_alert_and_each_has_its_row()
    {
        using var ca = new TestCertificates();
        await using var smtp = await SmtpServer.StartAsync(ca);
        var formats = new[] { "json", "slack", "teams", "dingtalk", "feishu", "wecom" };
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/{format}", (string format) =>
        {
            seen.Add(format);
            return format == "feishu" ? Results.Json(new { code = 0, msg = "success" }) : Results.Json(new { errcode = 0, errmsg = "ok" });
        }));
        var file = Path.Combine(_dir, "config.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = receiver.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Alerts = new
                {
                    Webhooks = formats.Select(f => new { Name = f, Url = $"http://127.0.0.1:{receiver.Port}/{f}", Format = f }).ToArray(),
                    Email = new { Host = "127.0.0.1", smtp.Port, From = "dnsbridge@example.test", To = new[] { "ops@example.test" }, CaFile = ca.WriteCaPem(_dir) },
                },
                State = new { Path = Path.Combine(_dir, "state.db") },
            },
        }));

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        await DnsBridgeCommand.RunAsync(["preflight", "--config", file, "--send-test-alert", "--json"], stdout, stderr);

        using var report = JsonDocument.Parse(stdout.ToString());
        var rows = report.RootElement.GetProperty("results").EnumerateArray().Where(r => r.GetProperty("check").GetString() == "test alert").ToList();
        Assert.Equal(7, rows.Count);
        Assert.All(rows, r => Assert.True(r.GetProperty("status").GetString() == "PASS", r.ToString()));
        Assert.Equal(formats.Order(), seen.Order());
        var mail = Assert.Single(smtp.Messages);
        Assert.Equal("[DnsBridge] shop: test_alert", mail["subject"]!.GetValue<string>());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
