using System.Net;

namespace DnsBridge.FunctionalTests.Report;

/// <summary><c>GET /api/cutovers/{name}/clients.csv</c>: who still calls the source, over real HTTP from a real DnsBridge.</summary>
public sealed class ClientsCsvTests : IAsyncLifetime
{
    private WaveBridge _wave = null!;

    public async Task InitializeAsync() => _wave = await WaveBridge.StartAsync();

    public async Task DisposeAsync() => await _wave.DisposeAsync();

    [Fact]
    public async Task Clients_behind_the_load_balancer_are_listed_heaviest_first_with_first_and_last_seen_and_last_agent()
    {
        using var admin = _wave.AdminClient();
        using var response = await admin.GetAsync("/api/cutovers/blog/clients.csv");
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("blog-clients.csv", response.Content.Headers.ContentDisposition!.FileName, StringComparison.Ordinal);

        var records = CsvParser.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["client", "first_seen", "last_seen", "requests", "requests_error", "last_user_agent"], records[0]);
        Assert.Equal(
            [
                ["198.51.100.1", "3", "0", "curl/8.5.0"],
                ["198.51.100.2", "2", "0", "Java/21.0.1"],
                ["198.51.100.3", "1", "0", WaveBridge.HostileAgent],
            ],
            records.Skip(1).Select(r => new[] { r[0], r[3], r[4], r[5] }).ToArray());

        // The second client arrived a second after the first and stayed; times are ISO 8601 UTC.
        var first = records[1];
        var second = records[2];
        Assert.Matches(@"^2026-11-24T\d\d:\d\d:\d\dZ$", first[1]);
        Assert.Equal(first[1], first[2]);
        Assert.True(string.CompareOrdinal(second[1], first[1]) > 0);
    }

    [Fact]
    public async Task A_cutover_without_residual_has_only_the_header_and_an_unknown_one_is_404()
    {
        using var admin = _wave.AdminClient();
        Assert.Single(CsvParser.Parse(await admin.GetStringAsync("/api/cutovers/api/clients.csv")));

        using var unknown = await admin.GetAsync("/api/cutovers/nope/clients.csv");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        using var anonymous = _wave.AdminClient(withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/cutovers/blog/clients.csv")).StatusCode);
    }
}
