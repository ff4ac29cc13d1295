using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>
/// The image as it really runs, built from the Dockerfile with podman (<see cref="ImageFixture"/>): non-root, forwards
/// and counts, keeps its state on the volume across containers, passes its own health check on a moved admin port,
/// reloads a config replaced by rename in the mounted directory, finishes a request in flight on SIGTERM, and answers
/// a bad config with exit 2. --network host: the container's listeners are on this machine's loopback.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(ImageBuild.Name)]
public sealed class ImageTests(ImageFixture image, ITestOutputHelper output) : IClassFixture<ImageFixture>
{
    private const string Host = "shop.example.test";
    private const string Token = "image-test-token-0123456789abcdef";
    private static readonly TimeSpan Podman = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_image_runs_as_uid_1654_forwards_counts_and_keeps_its_state_on_the_volume_for_the_next_container()
    {
        await using var target = await TestUpstream.StartAsync(a => a.Map("/{**p}", () => "ok"));
        var config = await ConfigDirectoryAsync("state", Cutover("shop", Host, target));
        var (proxy, admin) = (BridgeProcess.FreePort(), BridgeProcess.FreePort());
        Assert.Equal(0, (await image.PodmanAsync(Podman, "volume", "create", "state")).Code);

        var first = await RunAsync("first", config, proxy, admin, volume: "state");
        var pid = (await image.PodmanAsync(Podman, "inspect", "--format", "{{.State.Pid}}", first)).Output.Trim();
        var uid = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.Equal(["1654", "1654", "1654", "1654"], uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1..]);

        using var client = LoopbackClient.Create(new IPEndPoint(IPAddress.Loopback, proxy));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("ok", await client.GetStringAsync($"http://{Host}/item/{i}"));
        }

        Assert.Equal(3, await ResidualTotalAsync(admin));
        Assert.Equal("0", await StopAsync(first));

        var second = await RunAsync("second", config, proxy, admin, volume: "state");
        Assert.Equal(3, await ResidualTotalAsync(admin));
        await StopAsync(second);
    }

    [Fact]
    public async Task The_image_health_check_follows_an_admin_listener_moved_by_the_environment()
    {
        await using var target = await TestUpstream.StartAsync(a => a.Map("/{**p}", () => "ok"));
        var config = await ConfigDirectoryAsync("health", Cutover("shop", Host, target));
        var (proxy, admin) = (BridgeProcess.FreePort(), BridgeProcess.FreePort());

        var (_, healthcheck) = await image.PodmanAsync(Podman, "image", "inspect", "--format", "{{json .HealthCheck}}", ImageFixture.Image);
        Assert.Contains("\"/app/dnsbridge\",\"health\"", healthcheck, StringComparison.Ordinal);

        var name = await RunAsync("health", config, proxy, admin);
        var (code, result) = await image.PodmanAsync(Podman, "healthcheck", "run", name);
        Assert.True(code == 0, result + await LogsAsync(name));

        // And it notices when the instance is gone: SIGSTOP freezes it, /healthz stops answering.
        Assert.Equal(0, (await image.PodmanAsync(Podman, "pause", name)).Code);
        (code, result) = await image.PodmanAsync(Podman, "exec", name, "/app/dnsbridge", "health", "--config", "/etc/dnsbridge/dnsbridge.json");
        Assert.True(code != 0, result);
        await image.PodmanAsync(Podman, "unpause", name);
        await StopAsync(name);
    }

    [Fact]
    public async Task A_config_replaced_by_rename_in_the_mounted_directory_is_reloaded()
    {
        await using var a = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "a"));
        await using var b = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "b"));
        var config = await ConfigDirectoryAsync("reload", Cutover("one", "one.example.test", a));
        var (proxy, admin) = (BridgeProcess.FreePort(), BridgeProcess.FreePort());
        var name = await RunAsync("reload", config, proxy, admin);
        using var client = LoopbackClient.Create(new IPEndPoint(IPAddress.Loopback, proxy));
        Assert.Equal("a", await client.GetStringAsync("http://one.example.test/"));

        // What editors and config management do: write a new file beside it, rename it over the old one.
        var staged = Path.Combine(config, "dnsbridge.json.new");
        await File.WriteAllTextAsync(staged, Document(Cutover("two", "two.example.test", b)));
        File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(staged, Path.Combine(config, "dnsbridge.json"), overwrite: true);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.GetAsync("http://two.example.test/")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the renamed config was not reloaded within 30 s\n" + await LogsAsync(name));
            await Task.Delay(250);
        }

        Assert.Equal("b", await client.GetStringAsync("http://two.example.test/"));
        using var api = Admin(admin);
        Assert.Equal(1, MetricsText.Value(await api.GetStringAsync("/metrics"), "dnsbridge_config_reloads_total", ("outcome", "success")));
        await StopAsync(name);
    }

    [Fact]
    public async Task Stop_with_a_request_in_flight_lets_it_finish_and_exits_0()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await TestUpstream.StartAsync(app => app.Map("/slow", async () =>
        {
            arrived.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(20));
            return "slow";
        }));
        var config = await ConfigDirectoryAsync("stop", Cutover("shop", Host, target));
        var (proxy, admin) = (BridgeProcess.FreePort(), BridgeProcess.FreePort());
        var name = await RunAsync("stop", config, proxy, admin);

        using var client = LoopbackClient.Create(new IPEndPoint(IPAddress.Loopback, proxy), TimeSpan.FromSeconds(60));
        var slow = client.GetStringAsync($"http://{Host}/slow");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15));

        var clock = Stopwatch.StartNew();
        var stop = image.PodmanAsync(TimeSpan.FromSeconds(90), "stop", "--time", "60", name);
        Assert.Equal("slow", await slow.WaitAsync(TimeSpan.FromSeconds(45)));
        Assert.Equal(0, (await stop).Code);
        output.WriteLine($"stopped after {clock.Elapsed.TotalSeconds:0.0} s with a 20 s request in flight");
        var (_, exit) = await image.PodmanAsync(Podman, "inspect", "--format", "{{.State.ExitCode}}", name);
        Assert.True(exit.Trim() == "0", await LogsAsync(name));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), "the stop waited for more than the request");
    }

    [Fact]
    public async Task A_bad_config_exits_2_naming_the_key_path()
    {
        var config = await ConfigDirectoryAsync("bad", """{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.test" ], "Target": { "Address": "127.0.0.1", "Port": 70000 } } ] } }""");

        var (code, result) = await image.PodmanAsync(Podman, "run", "--rm", "--network", "host", "--health-interval", "disable",
            "-v", $"{config}:/etc/dnsbridge:ro", ImageFixture.Image);

        Assert.True(code == 2, result);
        Assert.Contains("DnsBridge:Cutovers:0:Target:Port", result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_time_and_image_size_are_reported()
    {
        var (_, size) = await image.PodmanAsync(Podman, "image", "inspect", "--format", "{{.Size}}", ImageFixture.Image);
        output.WriteLine($"stand-in bases {image.BasesTime.TotalSeconds:0} s, image build {image.BuildTime.TotalSeconds:0} s, image {long.Parse(size.Trim(), CultureInfo.InvariantCulture) / 1e6:0.0} MB");

        // The final stage is the executable and its SQLite library on the chiseled base: no SDK, no .NET runtime.
        Assert.True(long.Parse(size.Trim(), CultureInfo.InvariantCulture) < 100_000_000, $"image of {size.Trim()} bytes");
    }

    private static object Cutover(string name, string host, TestUpstream target) =>
        new { Name = name, Hosts = new[] { host }, Target = new { target.Address, target.Port, Scheme = "http" } };

    private static string Document(object cutover) => JsonSerializer.Serialize(new
    {
        DnsBridge = new
        {
            Cutovers = new[] { cutover },
            Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
            Propagation = new { Enabled = false },
        },
    });

    /// <summary>A config directory as an operator mounts it: readable by the container's uid 1654, owned by root.</summary>
    private async Task<string> ConfigDirectoryAsync(string name, object cutoverOrJson)
    {
        var dir = image.TempPath($"config-{name}");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var file = Path.Combine(dir, "dnsbridge.json");
        await File.WriteAllTextAsync(file, cutoverOrJson as string ?? Document(cutoverOrJson));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return dir;
    }

    /// <summary>Runs the image detached and waits for /healthz; the admin listener moved off 8081 through the environment.</summary>
    private async Task<string> RunAsync(string name, string config, int proxy, int admin, string? volume = null)
    {
        string[] args =
        [
            "run", "-d", "--name", name, "--network", "host", "--health-interval", "disable",
            "-e", $"DNSBRIDGE__Listen__Proxy=http://127.0.0.1:{proxy}",
            "-e", $"DNSBRIDGE__Listen__Admin=http://0.0.0.0:{admin}",
            "-e", $"DNSBRIDGE__Listen__AdminToken={Token}",
            "-v", $"{config}:/etc/dnsbridge:ro",
            .. volume is null ? Array.Empty<string>() : ["-v", $"{volume}:/var/lib/dnsbridge"],
            ImageFixture.Image,
        ];
        var (code, result) = await image.PodmanAsync(Podman, args);
        Assert.True(code == 0, result);

        using var http = Admin(admin);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return name;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            var (_, running) = await image.PodmanAsync(Podman, "inspect", "--format", "{{.State.Running}}", name);
            Assert.True(DateTime.UtcNow < deadline && running.Trim() == "true", $"the container did not come up:\n{await LogsAsync(name)}");
            await Task.Delay(200);
        }
    }

    private static HttpClient Admin(int port)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    private static async Task<long> ResidualTotalAsync(int admin)
    {
        using var http = Admin(admin);
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/cutovers/shop"));
        return doc.RootElement.GetProperty("residual").GetProperty("total").GetInt64();
    }

    /// <summary>podman stop with the grace the README gives; the container's exit code.</summary>
    private async Task<string> StopAsync(string name)
    {
        var (code, result) = await image.PodmanAsync(TimeSpan.FromSeconds(90), "stop", "--time", "60", name);
        Assert.True(code == 0, result);
        var (_, exit) = await image.PodmanAsync(Podman, "inspect", "--format", "{{.State.ExitCode}}", name);
        return exit.Trim();
    }

    private async Task<string> LogsAsync(string name) => (await image.PodmanAsync(Podman, "logs", name)).Output;
}
