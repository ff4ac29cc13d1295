using System.Net;
using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Configuration;

/// <summary>The config file is watched: valid edits apply live without dropping requests, invalid ones are refused and counted.</summary>
public sealed class ReloadTests : IAsyncLifetime
{
    private TestUpstream _a = null!;
    private TestUpstream _b = null!;
    private BridgeHost _bridge = null!;
    private readonly TaskCompletionSource _releaseSlow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        _a = await TestUpstream.StartAsync(app =>
        {
            app.Map("/slow", async () =>
            {
                await _releaseSlow.Task.WaitAsync(TimeSpan.FromSeconds(20));
                return "a-slow";
            });
            app.Map("/{**p}", () => "a");
        });
        _b = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "b"));
        _bridge = await BridgeHost.StartAsync(Section(("one", "one.example.test", _a)));
    }

    public async Task DisposeAsync()
    {
        _releaseSlow.TrySetResult();
        await _bridge.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private static object Section(params (string Name, string Host, TestUpstream Target)[] cutovers) => new
    {
        Cutovers = cutovers.Select(c => new { c.Name, Hosts = new[] { c.Host }, Target = new { c.Target.Address, c.Target.Port, Scheme = "http" } }).ToArray(),
    };

    private async Task<(HttpStatusCode, string)> GetAsync(string url)
    {
        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        using var response = await client.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_valid_edit_serves_new_cutovers_and_stops_removed_ones()
    {
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync("http://two.example.test/")).Item1);

        await _bridge.EditConfigAsync(Section(("two", "two.example.test", _b)));

        Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync("http://two.example.test/"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync("http://one.example.test/")).Item1);
        Assert.Equal(1, _bridge.Metric("dnsbridge_config_reloads_total", ("outcome", "success")));
        Assert.DoesNotContain(_bridge.Logs.Messages, m => m.Contains("take effect at the next restart", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Listen_and_Limits_changes_are_reported_as_needing_a_restart_and_the_admin_token_is_not()
    {
        System.Text.Json.Nodes.JsonObject Edited(string admin, string? token = null, long? maxConnections = null)
        {
            var section = System.Text.Json.JsonSerializer.SerializeToNode(Section(("one", "one.example.test", _a)))!.AsObject();
            section["Listen"] = new System.Text.Json.Nodes.JsonObject { ["Proxy"] = "http://127.0.0.1:0", ["Admin"] = admin, ["AdminToken"] = token };
            if (maxConnections is { } max)
            {
                section["Limits"] = new System.Text.Json.Nodes.JsonObject { ["MaxConnections"] = max };
            }

            return section;
        }

        IEnumerable<string?> Warnings() => _bridge.Logs.Events
            .Where(e => e.MessageTemplate.Text.Contains("take effect at the next restart", StringComparison.Ordinal))
            .Select(e => LogCapture.Property(e, "Sections"));

        await _bridge.EditConfigAsync(Edited("http://127.0.0.2:0"));
        Assert.Equal("Listen", Assert.Single(Warnings()));

        await _bridge.EditConfigAsync(Edited("http://127.0.0.2:0", maxConnections: 500));
        Assert.Equal(["Listen", "Limits"], Warnings());

        // The admin token is read per request (from now on /metrics wants it): no restart needed, no warning.
        await _bridge.EditConfigAsync(Edited("http://127.0.0.2:0", token: "0123456789abcdef-token", maxConnections: 500));
        Assert.Equal(["Listen", "Limits"], Warnings());
        Assert.Equal((HttpStatusCode.OK, "a"), await GetAsync("http://one.example.test/"));
    }

    [Fact]
    public async Task A_request_in_flight_finishes_on_the_old_target_while_new_ones_go_to_the_new_one()
    {
        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        var slow = client.GetStringAsync("http://one.example.test/slow");

        await _bridge.EditConfigAsync(Section(("one", "one.example.test", _b)));
        Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync("http://one.example.test/"));

        _releaseSlow.SetResult();
        Assert.Equal("a-slow", await slow.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task An_invalid_edit_keeps_the_running_config_logs_the_key_path_and_counts_a_failure()
    {
        await _bridge.EditConfigAsync(new
        {
            Cutovers = new[] { new { Name = "one", Hosts = new[] { "one.example.test" }, Target = new { Address = "not-an-ip", Port = 70000, Scheme = "http" } } },
        }, expectSuccess: false);

        Assert.Equal((HttpStatusCode.OK, "a"), await GetAsync("http://one.example.test/"));
        Assert.Equal(1, _bridge.Metric("dnsbridge_config_reloads_total", ("outcome", "failure")));
        Assert.Equal(0, _bridge.Metric("dnsbridge_config_reloads_total", ("outcome", "success")));
        Assert.Contains(_bridge.Logs.Events, e => LogCapture.Property(e, "Path") == "DnsBridge:Cutovers:0:Target:Port");
    }

    [Fact]
    public async Task A_file_that_is_not_JSON_keeps_the_running_config()
    {
        await _bridge.EditConfigAsync("{ \"DnsBridge\": { \"Cutovers\": [ { oops", expectSuccess: false);

        Assert.Equal((HttpStatusCode.OK, "a"), await GetAsync("http://one.example.test/"));
        Assert.Contains(_bridge.Logs.Events, e => LogCapture.Property(e, "Problem")?.Contains("not valid JSON", StringComparison.Ordinal) == true);

        // And a later valid edit still applies.
        await _bridge.EditConfigAsync(Section(("one", "one.example.test", _b)));
        Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync("http://one.example.test/"));
    }

    [Fact]
    public async Task A_file_replaced_atomically_by_rename_is_picked_up()
    {
        var monitor = _bridge.Services.GetRequiredService<DnsBridge.Configuration.ConfigMonitor>();
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        monitor.Changed += (_, next) =>
        {
            if (next.Cutovers.Any(c => c.Name == "two"))
            {
                changed.TrySetResult();
            }
        };

        var staged = Path.Combine(_bridge.Directory, "dnsbridge.json.tmp");
        await File.WriteAllTextAsync(staged, BridgeHost.Render(Section(("two", "two.example.test", _b)), _bridge.Directory));
        File.Move(staged, _bridge.ConfigPath, overwrite: true);

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync("http://two.example.test/"));
    }

    [Fact]
    public async Task A_Kubernetes_ConfigMap_update_a_swap_of_the_data_symlink_is_picked_up()
    {
        // The kubelet's layout: dnsbridge.json -> ..data/dnsbridge.json, ..data -> ..v1. An update writes ..v2 and
        // renames a new ..data symlink over the old one: nothing named dnsbridge.json changes, and file-change
        // notification ignores the dot-named entries. Only the monitor's own content check can see it.
        var dir = _bridge.Directory;
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "..v1"));
        File.Copy(_bridge.ConfigPath, Path.Combine(dir, "..v1", "dnsbridge.json"));
        System.IO.Directory.CreateSymbolicLink(Path.Combine(dir, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(dir, "dnsbridge.json.link"), "..data/dnsbridge.json");
        File.Move(Path.Combine(dir, "dnsbridge.json.link"), _bridge.ConfigPath, overwrite: true);
        Assert.Equal((HttpStatusCode.OK, "a"), await GetAsync("http://one.example.test/"));

        var changed = ChangedTo("two");
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "..v2"));
        await File.WriteAllTextAsync(Path.Combine(dir, "..v2", "dnsbridge.json"), BridgeHost.Render(Section(("two", "two.example.test", _b)), dir));
        System.IO.Directory.CreateSymbolicLink(Path.Combine(dir, "..data_tmp"), "..v2");
        await RenameAsync(Path.Combine(dir, "..data_tmp"), Path.Combine(dir, "..data"));

        await changed.WaitAsync(ConfigMonitor.FileCheckInterval * 5);
        Assert.Equal((HttpStatusCode.OK, "b"), await GetAsync("http://two.example.test/"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync("http://one.example.test/")).Item1);
        Assert.Equal(1, _bridge.Metric("dnsbridge_config_reloads_total", ("outcome", "success")));
    }

    private Task ChangedTo(string cutover)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _bridge.Services.GetRequiredService<ConfigMonitor>().Changed += (_, next) =>
        {
            if (next.Cutovers.Any(c => c.Name == cutover))
            {
                changed.TrySetResult();
            }
        };
        return changed.Task;
    }

    /// <summary>rename(2) of a symlink to a directory over another, as the kubelet does (File.Move refuses directories).</summary>
    private static async Task RenameAsync(string from, string to)
    {
        using var mv = System.Diagnostics.Process.Start("mv", ["-T", from, to])!;
        await mv.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, mv.ExitCode);
    }

    [Fact]
    public async Task Broken_edits_under_load_keep_the_last_good_config_and_lose_no_request()
    {
        var residual = _bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "one"));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var editsDone = false;

        // 8 clients keep requesting (bounded: at most 500 each) while the file is broken, repaired and broken again.
        var load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
            for (var i = 0; i < 500 && !stop.IsCancellationRequested && !Volatile.Read(ref editsDone); i++)
            {
                using var response = await client.GetAsync("http://one.example.test/load", stop.Token);
                statuses.Add(response.StatusCode);
            }
        })).ToArray();

        Assert.False(await _bridge.EditConfigAsync("{ \"DnsBridge\": { \"Cutovers\": [ { \"Name\": ", expectSuccess: false));
        Assert.False(await _bridge.EditConfigAsync(new { Cutovers = new[] { new { Name = "one", Hosts = new[] { "one.example.test" }, Target = new { Address = "not-an-ip", Port = 1 } } } }, expectSuccess: false));
        Assert.False(await _bridge.EditConfigAsync(new { Cutovers = new[] { new { Name = "one", Hosts = new[] { "one.example.test" }, Target = new { _a.Address, _a.Port, Scheme = "gopher" } } } }, expectSuccess: false));
        Volatile.Write(ref editsDone, true);
        await Task.WhenAll(load);

        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(3, _bridge.Metric("dnsbridge_config_reloads_total", ("outcome", "failure")));
        Assert.Equal(statuses.Count, _bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "one")) - residual);
        Assert.Equal((HttpStatusCode.OK, "a"), await GetAsync("http://one.example.test/after"));
    }
}
