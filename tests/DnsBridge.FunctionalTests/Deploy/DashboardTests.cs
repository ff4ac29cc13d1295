using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>
/// The Grafana dashboard proven against reality: a real Prometheus scrapes a running DnsBridge (with traffic,
/// resolvers, propagation) on loopback, and every panel query is evaluated through Prometheus's HTTP API.
/// </summary>
public sealed class DashboardTests
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private static readonly JsonDocument Dashboard = JsonDocument.Parse(File.ReadAllText(Repo.PathOf("deploy", "grafana", "dashboards", "dnsbridge.json")));

    private static IEnumerable<(string Panel, string Expr)> Queries() =>
        Dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!)));

    [Fact]
    public void Uses_a_datasource_variable_a_cutover_variable_and_only_contract_metrics()
    {
        var variables = Dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("type").GetString());
        Assert.Equal("datasource", variables["datasource"]);
        Assert.Equal("query", variables["cutover"]);
        Assert.All(Dashboard.RootElement.GetProperty("panels").EnumerateArray(), p => Assert.Equal("${datasource}", p.GetProperty("datasource").GetProperty("uid").GetString()));
        Assert.All(Queries(), q => Assert.All(Repo.MetricsIn(q.Expr), m => Assert.Contains(m, Repo.ContractMetrics)));
        Assert.True(Queries().Count() >= 20);
    }

    [Fact]
    public async Task Every_query_parses_in_a_real_Prometheus_and_returns_data_from_a_running_DnsBridge()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var sourceBackend = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { ["shop.example.test"] = ["198.51.100.7"] });
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AdminToken = Token },
            Cutovers = new object[]
            {
                new
                {
                    Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" },
                    SourceAddresses = new[] { "198.51.100.7" }, Drain = new { Exclude = new { Paths = new[] { "/healthz" } } },
                },

                // In rehearsal with every request mirrored; frozen later with a short hold, for the phase row.
                new
                {
                    Name = "rehearsed", Hosts = new[] { "rehearsed.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" },
                    SourceBackend = new { sourceBackend.Address, sourceBackend.Port, Scheme = "http" },
                    Mirror = new { Share = 1.0 }, Freeze = new { Hold = "00:00:01" },
                },
            },
            Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "local", resolver.Address, Region = "loopback" } } },
            Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
            Alerts = new { Webhooks = new[] { new { Url = "http://127.0.0.1:9/hook" } } },
        });

        var directory = Directory.CreateTempSubdirectory("dnsbridge-prometheus").FullName;
        var port = BridgeProcess.FreePort();

        // /metrics needs the admin token: scraped with the shipped job's authorization, its secret file here.
        var authorization = ShippedScrapeAuthorization();
        var tokenFile = Path.Combine(directory, Path.GetFileName(authorization.CredentialsFile));
        await File.WriteAllTextAsync(tokenFile, Token);
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: dnsbridge
                authorization:
                  type: {authorization.Type}
                  credentials_file: {tokenFile}
                static_configs:
                  - targets: ["{bridge.AdminEndPoint}"]
            """);
        var info = new ProcessStartInfo("prometheus") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = directory };
        foreach (var arg in new[] { "--config.file=prometheus.yml", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(arg);
        }

        using var prometheus = Process.Start(info)!;
        prometheus.OutputDataReceived += (_, _) => { };
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

            // Traffic over several scrapes, so rates have two samples: residual, excluded, an error class.
            using var client = LoopbackClient.Create(bridge.ProxyEndPoint);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                await client.GetAsync("http://shop.example.test/page");
                await client.GetAsync("http://shop.example.test/healthz");
                await client.GetAsync("http://unknown.example.test/");
                await client.GetAsync("http://rehearsed.example.test/page");
                var samples = await QueryAsync(api, "count_over_time(dnsbridge_residual_requests_total[1m])");
                if (samples is { } s && s.GetProperty("result").GetArrayLength() > 0
                    && double.Parse(s.GetProperty("result")[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 4
                    && (await QueryAsync(api, "dnsbridge_dns_propagation_ratio"))?.GetProperty("result").GetArrayLength() > 0)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, "Prometheus did not collect enough samples in time");
                await Task.Delay(250);
            }

            // Frozen: a request held past Freeze.Hold is rejected, and the held counter gets two scrapes.
            using (var admin = bridge.CreateAdminClient())
            {
                admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
                using var freeze = await admin.PostAsync("/api/cutovers/rehearsed/phase", new StringContent("""{"phase":"frozen"}""", Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.OK, freeze.StatusCode);
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("http://rehearsed.example.test/page")).StatusCode);
            while ((await QueryAsync(api, "count_over_time(dnsbridge_held_requests_total[1m])")) is not { } held || held.GetProperty("result").GetArrayLength() == 0
                || double.Parse(held.GetProperty("result")[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "Prometheus did not collect the held requests in time");
                await Task.Delay(250);
            }

            // Queries whose metrics exist whatever happened: these must return data.
            var mustHaveData = new HashSet<string>(StringComparer.Ordinal)
            {
                "Drain state", "Propagation share", "Stale caches expire in", "Residual requests per second", "Since the last residual request",
                "Excluded requests per second", "Resolver answers by region", "Resolvers still answering the source", "Answer TTL per resolver",
                "Forward latency", "Forwarded requests by status class", "Rejected requests (never forwarded)", "Alert deliveries (last hour)",
                "DNS query latency p90", "Config reloads", "Nudged connections per second", "Target errors", "Authoritative servers",
                "Cutover phase", "Held requests per second", "Mirrored copies per second by outcome", "Mirror match ratio", "Mirror latency p99, source vs target",
            };
            foreach (var (panel, expr) in Queries())
            {
                var query = expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$cutover", ".*", StringComparison.Ordinal);
                var data = await QueryAsync(api, query);
                Assert.True(data is not null, $"{panel}: Prometheus refused {query}");
                if (mustHaveData.Contains(panel))
                {
                    Assert.True(data.Value.GetProperty("result").GetArrayLength() > 0, $"{panel}: no data for {query}");
                }
            }
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static (string Type, string CredentialsFile) ShippedScrapeAuthorization()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Repo.PathOf("deploy", "prometheus", "prometheus.yml"))));
        var jobs = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["scrape_configs"];
        var job = jobs.Cast<YamlMappingNode>().Single(j => ((YamlScalarNode)j["job_name"]).Value == "dnsbridge");
        var authorization = (YamlMappingNode)job["authorization"];
        return (((YamlScalarNode)authorization["type"]).Value!, ((YamlScalarNode)authorization["credentials_file"]).Value!);
    }

    /// <summary>The query's data, or null when Prometheus answers with an error (a query that does not parse).</summary>
    private static async Task<JsonElement?> QueryAsync(HttpClient api, string query)
    {
        try
        {
            using var response = await api.GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("status").GetString() == "success" ? doc.RootElement.GetProperty("data").Clone() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (SocketException)
        {
            return null;
        }
        catch (JsonException)
        {
            // "Service Unavailable" while Prometheus starts.
            return null;
        }
    }
}
