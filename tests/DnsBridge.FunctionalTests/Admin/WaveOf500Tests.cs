using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Admin;

/// <summary>
/// A wave of 500 cutovers in one instance (SQLite, one loopback target shared by all, each cutover its own host name,
/// the propagation monitor asking a real dnsmasq): every cutover forwards, <c>/api/summary</c> lists all 500 with
/// the exact residual counts in rows of at most 1 KB, one cutover's full document still has its resolver table, and
/// <c>dnsbridge status</c> prints 500 rows. Sizes are printed for the record, not asserted beyond the 1 KB row.
/// </summary>
public sealed class WaveOf500Tests(ITestOutputHelper output)
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private const int Count = 500;

    // A few cutovers get more traffic than the one request each that proves it forwards.
    private static readonly Dictionary<string, int> Extra = new(StringComparer.Ordinal) { ["c007"] = 30, ["c123"] = 20, ["c456"] = 10 };

    [Fact]
    public async Task Five_hundred_cutovers_forward_and_the_summary_and_status_list_each_in_one_light_row()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", (HttpContext c) => "ok " + c.Request.Host.Host));
        var names = Enumerable.Range(1, Count).Select(i => $"c{i:000}").ToList();
        await using var dns = await Dnsmasq.StartAsync(names.ToDictionary(n => Host(n), _ => new[] { target.Address }));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AdminToken = Token },
            Cutovers = names.Select(n => new { Name = n, Hosts = new[] { Host(n) }, Target = new { target.Address, target.Port, Scheme = "http" }, SourceAddresses = new[] { "198.51.100.7" } }),
            Resolvers = new
            {
                Preset = "none",
                Custom = new[]
                {
                    new { Name = "local-a", dns.Address, Region = "Europe", City = "Frankfurt, DE", Latitude = 50.11, Longitude = 8.68 },
                    new { Name = "local-b", dns.Address, Region = "Americas", City = "Mountain View, US", Latitude = 37.42, Longitude = -122.08 },
                },
            },
            // A loopback dnsmasq has no rate limit: at the default 20 questions a second a pass of 500 cutovers times
            // two rows would take a minute or more.
            Propagation = new { Enabled = true, Interval = "00:00:05", Timeout = "00:00:01", MaxQuestionsPerSecondPerResolver = 5000 },
        });

        // Every cutover forwards to the target under its own host name (one request each), a few get more.
        using (var client = LoopbackClient.Create(bridge.ProxyEndPoint))
        {
            foreach (var name in names)
            {
                for (var i = 0; i < 1 + Extra.GetValueOrDefault(name); i++)
                {
                    using var response = await client.GetAsync(new Uri($"http://{Host(name)}/"));
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name} answered {(int)response.StatusCode}");
                    Assert.Equal($"ok {Host(name)}", await response.Content.ReadAsStringAsync());
                }
            }
        }

        using var admin = new HttpClient { BaseAddress = bridge.AdminUri };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        // The summary lists all 500 with the exact residual counts once the counters have them (bounded wait).
        var summary = "";
        var totals = new Dictionary<string, long>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            summary = await admin.GetStringAsync("/api/summary");
            using var doc = JsonDocument.Parse(summary);
            totals = doc.RootElement.EnumerateArray().ToDictionary(
                c => c.GetProperty("name").GetString()!,
                c => c.GetProperty("residual") is { ValueKind: JsonValueKind.Object } r ? r.GetProperty("total").GetInt64() : 0);
        }
        while (!names.All(n => totals.GetValueOrDefault(n) == 1 + Extra.GetValueOrDefault(n)) && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal(names, totals.Keys);
        Assert.All(names, n => Assert.True(totals[n] == 1 + Extra.GetValueOrDefault(n), $"{n}: residual total {totals[n]}, not {1 + Extra.GetValueOrDefault(n)}"));
        using (var doc = JsonDocument.Parse(summary))
        {
            var rows = doc.RootElement.EnumerateArray().ToList();
            foreach (var row in rows)
            {
                Assert.InRange(Encoding.UTF8.GetByteCount(row.GetRawText()), 1, 1024);
                Assert.False(row.TryGetProperty("resolvers", out _), "the summary carries no resolver table");
            }

            var c007 = rows.Single(r => r.GetProperty("name").GetString() == "c007");
            Assert.Equal(31, c007.GetProperty("residual").GetProperty("lastHour").GetInt64());
            Assert.Equal(["c007.wave.test"], c007.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
            Assert.Equal(0, c007.GetProperty("pendingAlerts").GetInt32());
            output.WriteLine($"/api/summary: {Encoding.UTF8.GetByteCount(summary):N0} bytes, {Encoding.UTF8.GetByteCount(summary) / Count:N0} bytes per cutover, "
                + $"largest row {rows.Max(r => Encoding.UTF8.GetByteCount(r.GetRawText()))} bytes");
        }

        // The cutover page's document still has the resolver table, once the monitor has asked for this cutover.
        var resolvers = new List<string>();
        deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/c250"));
            resolvers = doc.RootElement.GetProperty("propagation") is { ValueKind: JsonValueKind.Object } p
                ? [.. p.GetProperty("resolvers").EnumerateArray().Select(r => $"{r.GetProperty("name").GetString()} {r.GetProperty("answer").GetString()}")]
                : [];
        }
        while (resolvers.Count < 2 && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal(["local-a target", "local-b target"], resolvers.Order(StringComparer.Ordinal));
        var full = await admin.GetStringAsync("/api/cutovers");
        output.WriteLine($"/api/cutovers: {Encoding.UTF8.GetByteCount(full):N0} bytes, {Encoding.UTF8.GetByteCount(full) / Count:N0} bytes per cutover (2 resolvers)");

        // `dnsbridge status` prints the line of totals, the header and one row per cutover.
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(["status", "--admin", bridge.AdminUri.ToString()], stdout, stderr, v => v == AdminApi.TokenVariable ? Token : null);
        Assert.True(code == 0, $"status exited {code}: {stderr}");
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"{Count} cutover(s)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("cutover", lines[1], StringComparison.Ordinal);
        Assert.Equal(names, lines.Skip(2).Select(l => l.Split(' ', 2)[0]));
        Assert.Matches(@"^c007\s+\S+\s+switched\s+(-|\d+%)\s+\S+.*\s31\s", lines[2 + names.IndexOf("c007")]);
    }

    private static string Host(string name) => $"{name}.wave.test";

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }
}
