using System.Text.Json.Nodes;
using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// <c>Alerts:Email</c> against a real SMTP server on loopback (aiosmtpd, STARTTLS with a test CA, AUTH): the outbox
/// delivers to it as to one more receiver named <c>email</c>, and what arrives is checked with Python's mail parser.
/// </summary>
public sealed class EmailChannelTests : IAsyncLifetime
{
    private const string User = "dnsbridge";
    private const string Password = "Sm7p-pa55word";
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-email").FullName;
    private SmtpServer _smtp = null!;

    public async Task InitializeAsync() => _smtp = await SmtpServer.StartAsync(_ca, User, Password);

    public async Task DisposeAsync()
    {
        await _smtp.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private EmailConfig Email(params string[] to) => new()
    {
        Host = "127.0.0.1",
        Port = _smtp.Port,
        Username = User,
        Password = Password,
        From = "DnsBridge <dnsbridge@example.test>",
        To = to.Length > 0 ? to : ["ops@example.test", "pmo@example.test"],
        CaFile = _ca.WriteCaPem(_dir),
    };

    private static OutboxHarness Harness(EmailConfig email)
    {
        var outbox = new OutboxHarness([(EmailConfig.ReceiverName, "smtp://unused")]);
        outbox.Config = outbox.Config with
        {
            Alerts = outbox.Config.Alerts with { Webhooks = [], Email = email },
            Cutovers = [new CutoverConfig { Name = "shop", Hosts = ["shop.example.com"], Target = new TargetConfig { Address = "203.0.113.10" } }],
        };
        return outbox;
    }

    [Fact]
    public async Task One_message_per_event_over_starttls_with_auth_subject_text_and_html()
    {
        using var outbox = Harness(Email());

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        var row = Assert.Single(outbox.Stores.Events.Outbox("e1"));
        Assert.True(row.DeliveredAt is not null, row.LastError);
        var mail = Assert.Single(_smtp.Messages);
        Assert.True(mail["tls"]!.GetValue<bool>(), "sent after STARTTLS");
        Assert.Equal(User, mail["login"]!.GetValue<string>());
        Assert.Equal("[DnsBridge] shop: drain_complete", mail["subject"]!.GetValue<string>());
        Assert.Equal("dnsbridge@example.test", mail["mailFrom"]!.GetValue<string>());
        Assert.Equal(["ops@example.test", "pmo@example.test"], mail["rcptTos"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("dnsbridge@example.test", mail["from"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("pmo@example.test", mail["to"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("multipart/alternative", mail["contentType"]!.GetValue<string>());
        Assert.Contains("e1@dnsbridge", mail["messageId"]!.GetValue<string>(), StringComparison.Ordinal);
        var parts = mail["parts"]!.AsArray().OfType<JsonObject>().ToDictionary(p => p["type"]!.GetValue<string>(), p => p["content"]!.GetValue<string>());
        Assert.Equal(["text/plain", "text/html"], parts.Keys);
        foreach (var content in parts.Values)
        {
            Assert.Contains("shop: drained", content, StringComparison.Ordinal);
            Assert.Contains("shop.example.com", content, StringComparison.Ordinal);
        }

        Assert.Contains("<table>", parts["text/html"], StringComparison.Ordinal);
        Assert.Equal(1, await outbox.MetricAsync("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")));
    }

    [Fact]
    public async Task A_server_certificate_from_an_unknown_ca_is_refused_and_nothing_is_sent()
    {
        using var outbox = Harness(Email() with { CaFile = null });

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        var row = Assert.Single(outbox.Stores.Events.Outbox("e1"));
        Assert.Null(row.DeliveredAt);
        Assert.NotNull(row.FailedAt);
        Assert.Contains("TLS handshake failed", row.LastError, StringComparison.Ordinal);
        Assert.Empty(_smtp.Messages);
    }

    [Fact]
    public async Task A_wrong_password_fails_at_once_without_sending()
    {
        using var outbox = Harness(Email() with { Password = "wrong" });

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        var row = Assert.Single(outbox.Stores.Events.Outbox("e1"));
        Assert.True(row.FailedAt is not null, row.LastError);
        Assert.Contains("authentication failed", row.LastError, StringComparison.Ordinal);
        Assert.Empty(_smtp.Messages);
    }

    [Theory]
    [InlineData("reject@example.test", "SMTP 550", true)]
    [InlineData("later@example.test", "SMTP 451", false)]
    public async Task A_refused_recipient_fails_on_5xx_and_is_retried_on_4xx(string to, string problem, bool failed)
    {
        using var outbox = Harness(Email(to));

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        var row = Assert.Single(outbox.Stores.Events.Outbox("e1"));
        Assert.Null(row.DeliveredAt);
        Assert.Equal(failed, row.FailedAt is not null);
        Assert.StartsWith(problem, row.LastError, StringComparison.Ordinal);
        Assert.Equal(failed ? 0 : 1, await outbox.MetricAsync("dnsbridge_alerts_pending", ("event", "drain_complete")));
    }

    [Fact]
    public async Task A_server_without_the_implicit_tls_the_config_asks_for_is_not_sent_to_in_clear()
    {
        using var outbox = Harness(Email() with { StartTls = false });

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        var row = Assert.Single(outbox.Stores.Events.Outbox("e1"));
        Assert.Null(row.DeliveredAt);
        Assert.Empty(_smtp.Messages);
    }
}
