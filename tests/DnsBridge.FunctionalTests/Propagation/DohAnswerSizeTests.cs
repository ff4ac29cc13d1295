using System.Net;
using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// A DoH server (a real Kestrel over HTTPS with a test CA) streaming an answer without end: the row is an error
/// saying the answer is larger than a DNS message, and no more than one DNS message's worth is read.
/// </summary>
public sealed class DohAnswerSizeTests : IDisposable
{
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-doh-size").FullName;

    [Fact]
    public async Task An_endless_answer_is_a_malformed_row_read_no_further_than_a_dns_message()
    {
        using var certificate = _ca.Issue(["127.0.0.1"]);
        await using var doh = await TestUpstream.StartAsync(
            app => app.MapPost("/dns-query", async (HttpContext c) =>
            {
                c.Response.ContentType = "application/dns-message";
                var chunk = new byte[64 * 1024];
                try
                {
                    // Without end (64 GiB) until the client goes: a whole read would only end at its timeout.
                    for (var i = 0; i < 1024 * 1024 && !c.RequestAborted.IsCancellationRequested; i++)
                    {
                        await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                }
            }),
            certificate);
        var resolver = $"https://127.0.0.1:{doh.Port}/dns-query";
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await DnsBridgeCommand.RunAsync(
            ["check", "shop.example.test", "--expect", "203.0.113.10", "--json", "--timeout", "5", "--ca-file", _ca.WriteCaPem(_dir), "--resolver", resolver], stdout, stderr);

        Assert.True(code == 3, stderr.ToString() + stdout);
        using var report = JsonDocument.Parse(stdout.ToString());
        var row = Assert.Single(report.RootElement.GetProperty("resolvers").EnumerateArray());
        Assert.Equal("error", row.GetProperty("answer").GetString());
        Assert.Equal("malformed", row.GetProperty("error").GetString());

        // The row's detail, as the monitor and the API carry it: the answer was refused for its size, not for a timeout.
        using var exchange = new HttpsExchange(new Uri(resolver), new IPEndPoint(IPAddress.Loopback, doh.Port), null, _ca.WriteCaPem(_dir));
        var query = DnsWire.EncodeQuery(0, "shop.example.test", DnsWire.TypeA, recursion: true);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<DnsTransportException>(() => exchange.ExchangeAsync(query, bound.Token));
        Assert.Equal("malformed", e.Reason);
        Assert.Equal("DNS over HTTPS: 127.0.0.1 answered more than a DNS message (65535 bytes): not read further", e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
