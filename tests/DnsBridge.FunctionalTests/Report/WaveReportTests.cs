using System.Net;
using DnsBridge.Events;

namespace DnsBridge.FunctionalTests.Report;

/// <summary><c>GET /api/report</c>: the wave report in Markdown, HTML and CSV, over real HTTP from a real DnsBridge.</summary>
public sealed class WaveReportTests : IAsyncLifetime
{
    private WaveBridge _wave = null!;

    public async Task InitializeAsync() => _wave = await WaveBridge.StartAsync();

    public async Task DisposeAsync() => await _wave.DisposeAsync();

    [Fact]
    public void The_wave_is_in_three_states()
    {
        Assert.Equal(DrainState.Drained, _wave.State("shop"));
        Assert.Equal(DrainState.Draining, _wave.State("blog"));
        Assert.Equal(DrainState.Pending, _wave.State("api"));
    }

    [Fact]
    public async Task Markdown_has_totals_verdicts_and_milestones_with_table_cells_escaped()
    {
        using var admin = _wave.AdminClient();
        const string Totals = "3 cutover(s): 1 pending, 0 propagating, 1 draining, 0 quiet, 1 drained; 7 residual request(s) in the last hour, 0 pending alert(s)";

        // The last residual requests reach the per-minute history with the background flush that the final clock
        // step triggers; on a loaded machine that can land after the fixture returns, so wait for it (bounded).
        var md = "";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            using var response = await admin.GetAsync("/api/report");
            Assert.Equal("text/markdown", response.Content.Headers.ContentType!.MediaType);
            md = await response.Content.ReadAsStringAsync();
            if (md.Contains(Totals, StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Contains("# DnsBridge wave report", md, StringComparison.Ordinal);
        Assert.Contains("Generated 2026-11-24 12:16:", md, StringComparison.Ordinal);
        Assert.Contains(Totals, md, StringComparison.Ordinal);
        Assert.Contains("Safe to decommission: shop.", md, StringComparison.Ordinal);
        var rows = md.Split('\n');
        var shop = Assert.Single(rows, l => l.StartsWith("| shop |", StringComparison.Ordinal));
        Assert.Contains("| drained | DRAINED since 2026-11-24 12:1", shop, StringComparison.Ordinal);
        Assert.Contains("can be decommissioned", shop, StringComparison.Ordinal);
        Assert.Contains("drain_complete 2026-11-24 12:1", shop, StringComparison.Ordinal);
        var blog = Assert.Single(rows, l => l.StartsWith("| blog |", StringComparison.Ordinal));
        Assert.Contains("| draining | Not drained: state draining since", blog, StringComparison.Ordinal);
        Assert.Contains("| 6 | 6 | 0 |", blog, StringComparison.Ordinal);
        var api = Assert.Single(rows, l => l.StartsWith("| api |", StringComparison.Ordinal));
        Assert.Contains("| pending | Not drained: state pending", api, StringComparison.Ordinal);

        // What a client sent shows as text, not markup, even in a wiki that renders HTML in Markdown.
        Assert.DoesNotContain("<script", md, StringComparison.Ordinal);
        Assert.Contains("&lt;script\\>alert(1)&lt;/script\\>", md, StringComparison.Ordinal);

        // Every table row has the header's 13 cells: a '|' in a cell would add one unless escaped.
        Assert.All(rows.Where(l => l.StartsWith("| ", StringComparison.Ordinal)), l => Assert.Equal(14, l.Replace("\\|", "", StringComparison.Ordinal).Count(c => c == '|')));
    }

    [Fact]
    public async Task Html_is_self_contained_and_escapes_what_clients_sent()
    {
        using var admin = _wave.AdminClient();
        using var response = await admin.GetAsync("/api/report?format=html");
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("DRAINED since", html, StringComparison.Ordinal);
        Assert.Contains("<td>drained</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>draining</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>pending</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csv_is_rfc4180_with_a_header_iso_times_and_an_attachment_name()
    {
        using var admin = _wave.AdminClient();
        using var response = await admin.GetAsync("/api/report?format=csv");
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Matches(@"^""?dnsbridge-wave-report-\d{8}T\d{6}Z\.csv""?$", response.Content.Headers.ContentDisposition.FileName);

        var records = CsvParser.Parse(await response.Content.ReadAsStringAsync());
        var header = records[0];
        Assert.Equal(4, records.Count);
        Assert.All(records, r => Assert.Equal(header.Length, r.Length));
        var byName = records.Skip(1).ToDictionary(r => r[0], r => header.Zip(r).ToDictionary(p => p.First, p => p.Second));

        Assert.Equal("drained", byName["shop"]["state"]);
        Assert.Equal("yes", byName["shop"]["decommission_safe"]);
        Assert.Matches(@"^2026-11-24T12:1\d:\d\dZ$", byName["shop"]["drained_at"]);
        Assert.Matches(@"^2026-11-24T12:00:00Z$", byName["shop"]["dns_switched_at"]);
        Assert.Equal(WaveBridge.HostileAgent, byName["shop"]["top_user_agent"]);
        Assert.Equal("drain_complete", byName["shop"]["last_event"]);
        Assert.Equal("no", byName["blog"]["decommission_safe"]);
        Assert.Equal("6", byName["blog"]["residual_total"]);
        Assert.Equal("curl/8.5.0", byName["blog"]["top_user_agent"]);
        Assert.Equal("pending", byName["api"]["state"]);
        Assert.Equal("", byName["api"]["dns_switched_at"]);
    }

    [Theory]
    [InlineData("/api/report")]
    [InlineData("/api/report?format=csv")]
    [InlineData("/api/report?format=html")]
    public async Task The_token_is_required(string path)
    {
        using var anonymous = _wave.AdminClient(withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        using var admin = _wave.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_format_is_400()
    {
        using var admin = _wave.AdminClient();
        using var response = await admin.GetAsync("/api/report?format=pdf");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("md, html or csv", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
