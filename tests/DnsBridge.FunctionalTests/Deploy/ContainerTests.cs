using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DnsBridge.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>
/// No Docker engine runs here, so the Dockerfile's build step (deploy/container/publish.sh, a Native AOT publish) is
/// run as is, once for the class, and the published binary is used the way a user runs the container: every verb
/// that could meet a trimmed type or reflection-based JSON at run time is exercised once.
/// </summary>
public sealed partial class ContainerTests(PublishedApp app, ITestOutputHelper output) : IClassFixture<PublishedApp>
{
    private const string Host = "shop.example.test";

    [Fact]
    public void The_Dockerfile_builds_with_the_tested_script_runs_as_non_root_and_checks_health()
    {
        var dockerfile = File.ReadAllText(Repo.PathOf("Dockerfile"));
        Assert.Contains("RUN ./deploy/container/publish.sh /app", dockerfile, StringComparison.Ordinal);
        // A native executable needs no .NET runtime in the image, only its native dependencies; no shell either.
        Assert.Contains("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS final", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER 1654", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080 8081", dockerfile, StringComparison.Ordinal);
        Assert.Contains("CMD [\"/app/dnsbridge\", \"health\"", dockerfile, StringComparison.Ordinal);
        Assert.DoesNotContain("bash", string.Join('\n', dockerfile.Split('\n').Where(l => !l.StartsWith('#'))), StringComparison.Ordinal);
        Assert.Contains("VOLUME /var/lib/dnsbridge", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/app/dnsbridge\"]", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void The_publish_is_one_native_executable_with_the_SQLite_library_beside_it()
    {
        output.WriteLine($"publish.sh took {app.PublishTime.TotalSeconds:0} s");
        var header = new byte[4];
        using (var file = File.OpenRead(app.Executable))
        {
            file.ReadExactly(header);
        }

        Assert.Equal("\u007fELF"u8.ToArray(), header);
        Assert.False(File.Exists(Path.Combine(app.Output, "dnsbridge.dll")), "a managed dnsbridge.dll was published: the publish is not Native AOT");
        Assert.False(File.Exists(Path.Combine(app.Output, "dnsbridge.runtimeconfig.json")), "a runtime config was published: the publish is not Native AOT");
        Assert.True(File.Exists(Path.Combine(app.Output, "libe_sqlite3.so")), "the native SQLite library is missing from the publish");

        // Nothing else goes into the image: no XML docs, no static-web-assets manifest, no loose copy of the
        // embedded resolver list.
        Assert.Equal(["dnsbridge", "libe_sqlite3.so"], Directory.GetFiles(app.Output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Validate_names_the_key_path_of_a_bad_value_and_exits_2()
    {
        var config = app.TempPath("bad.json");
        await File.WriteAllTextAsync(config, """{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.test" ], "Target": { "Address": "target.example", "Port": 443 } } ] } }""");

        var (code, stdout, stderr) = await app.RunAsync(TimeSpan.FromSeconds(30), "validate", "--config", config);

        Assert.True(code == 2, stdout + stderr);
        Assert.Contains("DnsBridge:Cutovers:0:Target:Address", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_json_lists_every_resolver_row_with_its_fields()
    {
        await using var target = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = ["203.0.113.10"] }, ttl: 120);
        await using var source = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = ["198.51.100.7"] });

        var (code, stdout, stderr) = await app.RunAsync(TimeSpan.FromSeconds(60), "check", Host, "--expect", "203.0.113.10", "--source", "198.51.100.7", "--json",
            "--resolver", target.Address, "--resolver", source.Address);

        Assert.True(code == 1, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(Host, doc.RootElement.GetProperty("host").GetString());
        Assert.Equal(0.5, doc.RootElement.GetProperty("propagation").GetDouble());
        var rows = doc.RootElement.GetProperty("resolvers").EnumerateArray().ToDictionary(r => r.GetProperty("resolver").GetString()!, r => r.Clone());
        Assert.Equal("target", rows[target.Address].GetProperty("answer").GetString());
        Assert.Equal(120, rows[target.Address].GetProperty("ttl").GetInt32());
        Assert.Equal("source", rows[source.Address].GetProperty("answer").GetString());
        Assert.All(rows.Values, r => Assert.Equal(
            ["name", "resolver", "region", "transport", "pop", "clientSubnet", "subnetScope", "ignoresClientSubnet", "vantage", "answer", "addresses", "ttl", "error"],
            r.EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public async Task The_demo_runs_a_whole_cutover_to_drained()
    {
        var (code, stdout, stderr) = await app.RunAsync(TimeSpan.FromMinutes(2), "demo", "--speed", "8", "--admin-port", "0", "--no-live");

        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("drained:", stdout, StringComparison.Ordinal);
        var forwarded = ForwardedLine().Match(stdout);
        Assert.True(forwarded.Success, stdout);
        Assert.True(long.Parse(forwarded.Groups[1].Value, CultureInfo.InvariantCulture) > 0, stdout);
    }

    [Fact]
    public async Task Serve_forwards_and_counts_serves_the_API_metrics_and_status_page_and_stops_cleanly_on_SIGTERM()
    {
        int proxy = BridgeProcess.FreePort(), admin = BridgeProcess.FreePort();
        await using var target = await TestUpstream.StartAsync(a => a.Map("/", () => "ok"));
        var config = app.TempPath("serve.json");
        await File.WriteAllTextAsync(config, $$"""
            { "DnsBridge": {
                "Listen": { "Proxy": "http://127.0.0.1:{{proxy}}", "Admin": "http://127.0.0.1:{{admin}}" },
                "Cutovers": [ { "Name": "shop", "Hosts": [ "{{Host}}" ], "Target": { "Address": "{{target.Address}}", "Port": {{target.Port}}, "Scheme": "http" } } ],
                "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },
                "Propagation": { "Enabled": false },
                "State": { "Path": "{{app.TempPath("state.db")}}" } } }
            """);

        var info = new ProcessStartInfo(app.Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "serve", "--config", config })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin}/"), Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }

                Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "the published dnsbridge did not start");
                await Task.Delay(100);
            }

            using var client = LoopbackClient.Create(new IPEndPoint(IPAddress.Loopback, proxy));
            Assert.Equal("ok", await client.GetStringAsync($"http://{Host}/"));

            // The API document is written from source-generated metadata: the residual request is in it.
            using (var cutover = JsonDocument.Parse(await http.GetStringAsync("/api/cutovers/shop")))
            {
                Assert.Equal("shop", cutover.RootElement.GetProperty("name").GetString());
                Assert.Equal(1, cutover.RootElement.GetProperty("residual").GetProperty("requests").GetInt64());
                Assert.Equal("pending", cutover.RootElement.GetProperty("drain").GetProperty("state").GetString());
            }

            var missing = await http.GetAsync("/api/cutovers/nope");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("{\"error\":\"no cutover named 'nope'\"}", await missing.Content.ReadAsStringAsync());

            var metrics = await http.GetStringAsync("/metrics");
            Assert.Contains("dnsbridge_forwarded_requests_total{cutover=\"shop\"", metrics, StringComparison.Ordinal);

            var page = await http.GetAsync("/");
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await process.WaitForExitAsync(stop.Token);
            Assert.True(process.ExitCode == 0, await stderr);

            // Compact JSON logs by default, one event per line.
            var first = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
            Assert.StartsWith("{\"@t\":", first, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task Serve_in_cluster_mode_on_PostgreSQL_leads_and_stores_the_drain_status()
    {
        // Its own server: the shared one's collection would serialize this class's minutes-long publish with it.
        var server = new PostgresServer();
        await server.InitializeAsync();
        try
        {
            var connectionString = await server.CreateDatabaseAsync("aot");
            int proxy = BridgeProcess.FreePort(), admin = BridgeProcess.FreePort();
            await using var target = await TestUpstream.StartAsync(a => a.Map("/", () => "ok"));
            var config = app.TempPath("postgres.json");
            await File.WriteAllTextAsync(config, $$"""
                { "DnsBridge": {
                    "Listen": { "Proxy": "http://127.0.0.1:{{proxy}}", "Admin": "http://127.0.0.1:{{admin}}" },
                    "Cutovers": [ { "Name": "shop", "Hosts": [ "{{Host}}" ], "Target": { "Address": "{{target.Address}}", "Port": {{target.Port}}, "Scheme": "http" } } ],
                    "Propagation": { "Enabled": false },
                    "State": { "Provider": "postgres" } } }
                """);
            var info = new ProcessStartInfo(app.Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add("serve");
            info.ArgumentList.Add("--config");
            info.ArgumentList.Add(config);
            info.Environment["DNSBRIDGE__State__ConnectionString"] = connectionString;
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin}/"), Timeout = TimeSpan.FromSeconds(2) };
                using var client = LoopbackClient.Create(new IPEndPoint(IPAddress.Loopback, proxy));
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (true)
                {
                    try
                    {
                        using var cluster = JsonDocument.Parse(await http.GetStringAsync("/api/cluster"));
                        if (cluster.RootElement.GetProperty("leader").GetString() is { } leader
                            && leader == cluster.RootElement.GetProperty("replica").GetString())
                        {
                            break;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                    }

                    Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "the published dnsbridge did not lead on PostgreSQL");
                    await Task.Delay(200);
                }

                Assert.Equal("ok", await client.GetStringAsync($"http://{Host}/"));

                // The leader's drain detector stores the status (source-generated JSON in a jsonb column) with the residual total.
                await using var connection = new Npgsql.NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                while (true)
                {
                    await using var command = new Npgsql.NpgsqlCommand("SELECT status->>'residualTotal' FROM cutover_state WHERE name = 'shop'", connection);
                    if (await command.ExecuteScalarAsync() is string total && total == "1")
                    {
                        break;
                    }

                    Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "the drain status with the residual request was not stored");
                    await Task.Delay(200);
                }
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                await process.WaitForExitAsync();
                Assert.DoesNotContain(server.Password, await stdout, StringComparison.Ordinal);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [GeneratedRegex(@"Clients: (\d+) requests reached the source")]
    private static partial Regex ForwardedLine();
}
