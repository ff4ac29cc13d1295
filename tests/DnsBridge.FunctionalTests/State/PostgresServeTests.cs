using System.Net;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;
using Npgsql;

namespace DnsBridge.FunctionalTests.State;

/// <summary>
/// Real <c>dnsbridge</c> processes on <c>State:Provider=postgres</c>: residual traffic reaches the shared database,
/// survives a restart, and the connection string (with its password) appears in no output; bad state settings end
/// <c>serve</c> with exit 2 and the key path.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresServeTests(PostgresServer server) : IDisposable
{
    private const string Host = "shop.example.test";
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-pgserve").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(object? state, int proxyPort = 0, int adminPort = 0, string address = "192.0.2.10", int port = 80)
    {
        var file = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { Address = address, Port = port, Scheme = "http" } } },
                Propagation = new { Enabled = false },
                State = state,
            },
        }));
        return file;
    }

    [Fact]
    public async Task Serve_on_postgres_stores_residual_traffic_finds_it_after_a_restart_and_never_prints_the_connection_string()
    {
        var connectionString = await server.CreateDatabaseAsync("serve");
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
        var config = WriteConfig(new { Provider = "postgres", ConnectionString = connectionString }, proxyPort, adminPort, target.Address, target.Port);

        var outputs = new List<string>();
        var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort);
        try
        {
            using var client = LoopbackClient.Create(bridge.ProxyEndPoint);
            for (var i = 0; i < 30; i++)
            {
                Assert.Equal("ok", await client.GetStringAsync($"http://{Host}/{i}"));
            }

            // The counts reach the database (the flush, not the request path) and the API shows them.
            await WaitAsync(async () => await StoredResidualAsync(connectionString) == 30, bridge);
            Assert.Equal(30, await ResidualTotalAsync(bridge));
            Assert.Equal(HttpStatusCode.OK, await ReadyzAsync(bridge));
            Assert.Equal(0, await TerminateAsync(bridge));
        }
        finally
        {
            outputs.Add(bridge.Output);
            await bridge.DisposeAsync();
        }

        var restarted = await BridgeProcess.StartAsync(config, proxyPort, adminPort);
        try
        {
            Assert.Equal(30, await ResidualTotalAsync(restarted));
            Assert.Equal(HttpStatusCode.OK, await ReadyzAsync(restarted));
            Assert.Equal(0, await TerminateAsync(restarted));
        }
        finally
        {
            outputs.Add(restarted.Output);
            await restarted.DisposeAsync();
        }

        Assert.Equal(30, await StoredResidualAsync(connectionString));
        Assert.Contains($"postgres://127.0.0.1:{server.Port}/{database}", outputs[0], StringComparison.Ordinal);
        Assert.All(outputs, output =>
        {
            Assert.DoesNotContain(server.Password, output, StringComparison.Ordinal);
            Assert.DoesNotContain("Password=", output, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public async Task Bad_state_settings_stop_serve_with_exit_2_the_key_path_and_no_secret()
    {
        var config = WriteConfig(state: null);
        var wrongPassword = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("badserve")) { Password = "wrong-pa55word-x" }.ConnectionString;

        (string Name, string Value)[][] cases =
        [
            [("DNSBRIDGE__State__Provider", "postgres")],
            [("DNSBRIDGE__State__Provider", "mysql")],
            [("DNSBRIDGE__State__Provider", "postgres"), ("DNSBRIDGE__State__ConnectionString", "Host=db;Port=wrong-pa55word-x")],
            [("DNSBRIDGE__State__ConnectionString", "Host=db;Password=wrong-pa55word-x")],
            [("DNSBRIDGE__State__Provider", "postgres"), ("DNSBRIDGE__State__ConnectionString", wrongPassword)],
        ];
        string[] expected =
        [
            "DnsBridge:State:ConnectionString: is required with Provider 'postgres'",
            "DnsBridge:State:Provider: must be 'sqlite' or 'postgres', got 'mysql'",
            "DnsBridge:State:ConnectionString: cannot be parsed",
            "DnsBridge:State:ConnectionString: is only used with Provider 'postgres'",
            $"State:ConnectionString postgres://127.0.0.1:{server.Port}/",
        ];

        var results = await Task.WhenAll(cases.Select(environment => RunAsync(environment, "serve", "--config", config)));
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.True(results[i].Code == 2, $"case {i}: exit {results[i].Code}\n{results[i].Output}");
            Assert.Contains(expected[i], results[i].Output, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-pa55word-x", results[i].Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_connection_string_from_the_environment_is_read_and_validate_never_echoes_it()
    {
        var config = WriteConfig(new { Provider = "postgres" });
        var connectionString = server.ConnectionString();

        var (code, output) = await RunAsync([("DNSBRIDGE__State__ConnectionString", connectionString)], "validate", "--config", config);

        Assert.Equal(0, code);
        Assert.Contains("valid, 1 cutover(s)", output, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, output, StringComparison.Ordinal);
    }

    private static async Task<long> StoredResidualAsync(string connectionString) =>
        Convert.ToInt64(await PostgresServer.ScalarAsync(connectionString, "SELECT COALESCE(SUM(count), 0) FROM residual_minutes WHERE cutover = 'shop'"));

    private static async Task<long> ResidualTotalAsync(BridgeProcess bridge)
    {
        using var admin = new HttpClient { BaseAddress = bridge.AdminUri };
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
        return doc.RootElement.GetProperty("residual").GetProperty("total").GetInt64();
    }

    private static async Task<HttpStatusCode> ReadyzAsync(BridgeProcess bridge)
    {
        using var admin = new HttpClient { BaseAddress = bridge.AdminUri };
        return (await admin.GetAsync("/readyz")).StatusCode;
    }

    private static async Task<int?> TerminateAsync(BridgeProcess bridge) => await bridge.TerminateAsync(TimeSpan.FromSeconds(20));

    private static async Task WaitAsync(Func<Task<bool>> condition, BridgeProcess bridge)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met; dnsbridge output:\n" + bridge.Output);
            }

            await Task.Delay(100);
        }
    }

    private Task<(int Code, string Output)> RunAsync((string Name, string Value)[] environment, params string[] args) =>
        DnsBridgeVerb.RunAsync(_dir, environment, args);
}
