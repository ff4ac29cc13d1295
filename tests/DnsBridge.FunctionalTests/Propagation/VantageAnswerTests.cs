using System.Net.Sockets;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Vantages;
using Microsoft.Extensions.Logging.Abstractions;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// A remote vantage is another host: a fake one (a real Kestrel on loopback) answering values out of range, a
/// document that is not the API's, or a body without end makes that vantage an error row saying what was wrong;
/// the puller never throws and never reads more than its cap.
/// </summary>
public sealed class VantageAnswerTests
{
    private static JsonObject Row(Action<JsonObject>? edit = null)
    {
        var row = new JsonObject
        {
            ["name"] = "cn-dns",
            ["resolver"] = "192.0.2.53:53",
            ["region"] = "cn-north",
            ["operator"] = "isp",
            ["answer"] = "target",
            ["addresses"] = new JsonArray("203.0.113.10"),
            ["cnames"] = new JsonArray(),
            ["ttl"] = 60,
            ["error"] = null,
            ["detail"] = null,
            ["checkedAt"] = "2026-12-06T10:00:00Z",
            ["latencyMs"] = 12.5,
            ["pop"] = null,
            ["vantage"] = "local",
            ["authoritative"] = false,
        };
        edit?.Invoke(row);
        return row;
    }

    private static string Document(JsonObject row, string at = "2026-12-06T10:00:00Z") =>
        new JsonArray(new JsonObject { ["name"] = "shop", ["propagation"] = new JsonObject { ["at"] = at, ["resolvers"] = new JsonArray(row) } }).ToJsonString();

    private static async Task<VantageState> PullAsync(TestUpstream vantage)
    {
        using var puller = new VantagePuller(TimeProvider.System, NullLogger.Instance);
        var config = new PropagationConfig { Interval = TimeSpan.FromSeconds(5), Vantages = [new VantageConfig { Name = "cn", Url = $"http://127.0.0.1:{vantage.Port}", Token = "t" }] };
        return Assert.Single(await puller.PullAsync(config, CancellationToken.None));
    }

    [Fact]
    public async Task A_well_formed_answer_gives_the_remote_rows()
    {
        await using var vantage = await TestUpstream.StartAsync(app => app.MapGet("/api/cutovers", () => Results.Text(Document(Row()), "application/json")));

        var state = await PullAsync(vantage);

        Assert.Null(state.Error);
        var row = Assert.Single(state.Cutovers["shop"].Rows);
        Assert.Equal(("cn-dns", ResolverAnswer.Target, 60, 12.5), (row.Resolver.Name, row.Answer, row.Ttl!.Value, row.Latency.TotalMilliseconds));
    }

    [Theory]
    [InlineData("latencyMs", "1e300", "latencyMs must be 0-86400000 ms, got 1e300")]
    [InlineData("latencyMs", "-1", "latencyMs must be 0-86400000 ms")]
    [InlineData("latencyMs", "\"fast\"", "latencyMs must be 0-86400000 ms")]
    [InlineData("ttl", "1e20", "ttl must be null or 0-2147483647 s, got 1e20")]
    [InlineData("ttl", "-5", "ttl must be null or 0-2147483647")]
    [InlineData("checkedAt", "\"99999-01-01T00:00:00Z\"", "checkedAt must be an ISO 8601 time")]
    [InlineData("checkedAt", "12", "checkedAt must be an ISO 8601 time")]
    [InlineData("addresses", "[1]", "addresses[0] must be a string")]
    [InlineData("name", "null", "name is null")]
    [InlineData("authoritative", "\"no\"", "authoritative must be true or false")]
    public async Task A_value_out_of_range_is_an_error_row_naming_it(string property, string value, string expected)
    {
        var document = Document(Row(r => r[property] = JsonNode.Parse(value)));
        await using var vantage = await TestUpstream.StartAsync(app => app.MapGet("/api/cutovers", () => Results.Text(document, "application/json")));

        var state = await PullAsync(vantage);

        Assert.NotNull(state.Error);
        Assert.StartsWith("not a usable DnsBridge admin API answer: cutovers[0].propagation.resolvers[0].", state.Error, StringComparison.Ordinal);
        Assert.Contains(expected, state.Error, StringComparison.Ordinal);
        var shown = Assert.Single(VantageMerge.Rows("shop", state, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5)));
        Assert.Equal((ResolverAnswer.Error, true), (shown.Answer, shown.VantageUnavailable));
    }

    [Theory]
    [InlineData("""{"cutovers": []}""", "the document must be an array")]
    [InlineData("""[{"name": "shop", "propagation": {"at": "yesterday", "resolvers": []}}]""", "cutovers[0].propagation.at must be an ISO 8601 time")]
    [InlineData("""[{"name": "shop", "propagation": {"at": "2026-12-06T10:00:00Z"}}]""", "cutovers[0].propagation.resolvers is missing")]
    [InlineData("""[{"name": 7}]""", "cutovers[0].name must be a string")]
    [InlineData("""[{"name": "shop", "propagation": {""", "not a usable DnsBridge admin API answer: ")]
    public async Task A_document_that_is_not_the_apis_is_an_error_saying_what_was_wrong(string document, string expected)
    {
        await using var vantage = await TestUpstream.StartAsync(app => app.MapGet("/api/cutovers", () => Results.Text(document, "application/json")));

        var state = await PullAsync(vantage);

        Assert.Contains(expected, state.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_without_end_is_read_no_further_than_the_cap()
    {
        // A raw TCP server, not Kestrel: it counts what the kernel took from it, and a send to a closed peer fails.
        long sent = 0;
        await using var vantage = TcpTestServer.Start(async socket =>
        {
            try
            {
                var request = new byte[4096];
                await socket.ReceiveAsync(request, SocketFlags.None);
                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None);
                var chunk = new byte[1024 * 1024];
                Array.Fill(chunk, (byte)' ');

                // Up to 4 GiB of whitespace (valid JSON so far): more than any buffer is allowed to take.
                for (var i = 0; i < 4096; i++)
                {
                    Interlocked.Add(ref sent, await socket.SendAsync(chunk, SocketFlags.None));
                }
            }
            catch (SocketException)
            {
            }
        });

        using var puller = new VantagePuller(TimeProvider.System, NullLogger.Instance);
        var config = new PropagationConfig { Interval = TimeSpan.FromSeconds(5), Vantages = [new VantageConfig { Name = "cn", Url = $"http://127.0.0.1:{vantage.Port}", Token = "t" }] };
        var state = Assert.Single(await puller.PullAsync(config, CancellationToken.None));

        Assert.Equal("answer larger than 32 MiB: not read further", state.Error);
        Assert.True(Interlocked.Read(ref sent) < 128L * 1024 * 1024, $"{Interlocked.Read(ref sent)} bytes were taken before the puller stopped reading");
    }
}
