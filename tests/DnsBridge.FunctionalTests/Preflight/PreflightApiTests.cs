using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Preflight;

/// <summary>
/// <c>GET /api/cutovers/{name}/preflight</c> on a running DnsBridge: one cutover's checklist as JSON rows, run
/// against real targets; 404 for a cutover that does not exist; behind the admin token like the rest of the API.
/// </summary>
public sealed class PreflightApiTests : IAsyncLifetime
{
    private const string Token = "preflight-api-token-0123456789";
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-preflight-api").FullName;
    private TestUpstream _ready = null!;
    private TestUpstream _otherName = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        static Task<TestUpstream> Target(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
            TestUpstream.StartAsync(app => app.Map("/{**p}", () => Results.Ok()), certificate);

        _ready = await Target(_ca.Issue(["shop.example.test"]));
        _otherName = await Target(_ca.Issue(["other.example.test"]));
        var caFile = _ca.WriteCaPem(_dir);
        _bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AdminToken = Token },
            Cutovers = new object[]
            {
                new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { _ready.Address, _ready.Port, Scheme = "https", CaFile = caFile, Timeout = "00:00:05" } },
                new { Name = "lax", Hosts = new[] { "lax.example.test" }, Target = new { _otherName.Address, _otherName.Port, Scheme = "https", AllowInvalidCertificate = true, Timeout = "00:00:05" } },
                new { Name = "down", Hosts = new[] { "down.example.test" }, Target = new { Address = "127.0.0.1", Port = FreePort(), Scheme = "http", Timeout = "00:00:05" } },
            },
        });
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _ready.DisposeAsync();
        await _otherName.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort() => Ports.Free();

    private HttpClient Admin(string? token = Token)
    {
        var client = _bridge.CreateAdminClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    private async Task<JsonElement> PreflightAsync(string name)
    {
        using var admin = Admin();
        using var response = await admin.GetAsync($"/api/cutovers/{name}/preflight");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    private static string Status(JsonElement report, string check) =>
        Assert.Single(report.GetProperty("results").EnumerateArray(), r => r.GetProperty("check").GetString() == check).GetProperty("status").GetString()!;

    [Fact]
    public async Task A_ready_https_target_gives_PASS_rows_for_that_cutover_only()
    {
        var report = await PreflightAsync("shop");

        Assert.All(report.GetProperty("results").EnumerateArray(), r => Assert.Equal("shop", r.GetProperty("cutover").GetString()));
        Assert.Equal("PASS", Status(report, "tcp connect"));
        Assert.Equal("PASS", Status(report, "certificate"));
        Assert.Equal("PASS", Status(report, "health path"));
        Assert.True(report.GetProperty("pass").GetInt32() >= 3);
        Assert.All(report.GetProperty("results").EnumerateArray(), r => Assert.Contains(r.GetProperty("status").GetString(), new[] { "PASS", "WARN", "FAIL" }));
    }

    [Fact]
    public async Task An_unvalidated_certificate_is_a_WARN_row_and_a_refusing_target_a_FAIL_row()
    {
        var lax = await PreflightAsync("lax");
        Assert.Equal("WARN", Status(lax, "certificate"));
        Assert.NotEqual("FAIL", lax.GetProperty("overall").GetString());

        var down = await PreflightAsync("down");
        Assert.Equal("FAIL", Status(down, "tcp connect"));
        Assert.Equal("FAIL", down.GetProperty("overall").GetString());
        Assert.True(down.GetProperty("fail").GetInt32() >= 1);
    }

    [Fact]
    public async Task An_unknown_cutover_is_404_and_the_admin_token_is_required()
    {
        using (var admin = Admin())
        {
            using var unknown = await admin.GetAsync("/api/cutovers/nope/preflight");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains("no cutover named 'nope'", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var anonymous = Admin(token: null))
        {
            using var response = await anonymous.GetAsync("/api/cutovers/shop/preflight");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var wrong = Admin(token: Token[..^1] + "x"))
        {
            using var response = await wrong.GetAsync("/api/cutovers/shop/preflight");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }
}
