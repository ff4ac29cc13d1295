using System.Diagnostics;
using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>
/// No Docker engine runs here, so the Dockerfile's build step (deploy/container/publish.sh) is run as is, and the
/// published binary is started the way the image's ENTRYPOINT does, then stopped with SIGTERM.
/// </summary>
public sealed class ContainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-publish").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_Dockerfile_builds_with_the_tested_script_runs_as_non_root_and_checks_health()
    {
        var dockerfile = File.ReadAllText(Repo.PathOf("Dockerfile"));
        Assert.Contains("RUN ./deploy/container/publish.sh /app", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER app", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080 8081", dockerfile, StringComparison.Ordinal);
        Assert.Contains("HEALTHCHECK", dockerfile, StringComparison.Ordinal);
        Assert.Contains("/healthz", dockerfile, StringComparison.Ordinal);
        Assert.Contains("VOLUME /var/lib/dnsbridge", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/app/dnsbridge\"]", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_published_binary_serves_health_and_metrics_and_stops_cleanly_on_SIGTERM()
    {
        var output = Path.Combine(_dir, "app");
        var (code, log) = await Repo.RunAsync("bash", Repo.Root, "deploy/container/publish.sh", output);
        Assert.True(code == 0, log);

        int proxy = BridgeProcess.FreePort(), admin = BridgeProcess.FreePort();
        await using var target = await TestUpstream.StartAsync(app => app.Map("/", () => "ok"));
        var config = Path.Combine(_dir, "dnsbridge.json");
        await File.WriteAllTextAsync(config, $$"""
            { "DnsBridge": {
                "Listen": { "Proxy": "http://127.0.0.1:{{proxy}}", "Admin": "http://127.0.0.1:{{admin}}" },
                "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.test" ], "Target": { "Address": "{{target.Address}}", "Port": {{target.Port}}, "Scheme": "http" } } ],
                "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },
                "Propagation": { "Enabled": false },
                "State": { "Path": "{{Path.Combine(_dir, "state.db")}}" } } }
            """);

        var info = new ProcessStartInfo(Path.Combine(output, "dnsbridge")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "serve", "--config", config })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
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

            Assert.Contains("dnsbridge_forwarded_requests_total", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
            using var client = LoopbackClient.Create(new IPEndPoint(IPAddress.Loopback, proxy));
            Assert.Equal("ok", await client.GetStringAsync("http://shop.example.test/"));

            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await process.WaitForExitAsync(stop.Token);
            Assert.Equal(0, process.ExitCode);

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
}
