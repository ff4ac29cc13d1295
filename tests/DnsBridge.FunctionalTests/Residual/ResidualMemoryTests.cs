using DnsBridge.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Residual;

/// <summary>
/// Hostile residual traffic cannot grow the heap without bound: 20,000 clients, each with its own 16 KiB user
/// agent (distinct only in its last characters, the worst case for a truncated key), through a real DnsBridge.
/// Before user agents were capped, the 10,000 kept raw held about 330 MB of strings.
/// </summary>
[Collection(HeapMeasurement.Name)]
public sealed class ResidualMemoryTests(ITestOutputHelper output)
{
    private const int Clients = 20_000;
    private const int AgentLength = 16 * 1024;
    private const long BoundBytes = 48L * 1024 * 1024;

    private static string HostileAgent(int i) => string.Create(AgentLength, i, static (span, i) =>
    {
        span.Fill('x');
        "Hostile/".CopyTo(span);
        i.TryFormat(span[^8..], out _, "D8", System.Globalization.CultureInfo.InvariantCulture);
    });

    [Fact]
    public async Task Twenty_thousand_clients_with_16_KiB_user_agents_keep_the_managed_heap_bounded()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var bridge = await ResidualTraffic.StartBridgeAsync(target);

        // Warm up connections, JIT and pools with short agents, so the measurement is the accounting's growth.
        await ResidualTraffic.SendAsync(bridge, 256, i => (ResidualTraffic.Address(100_000 + i), "warm-up"));
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await ResidualTraffic.SendAsync(bridge, Clients, i => (ResidualTraffic.Address(i), HostileAgent(i)));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var heap = GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
        var growth = after - before;
        output.WriteLine($"managed heap: {before / 1048576.0:F1} MiB before, {after / 1048576.0:F1} MiB after, growth {growth / 1048576.0:F1} MiB (last full GC heap size {heap / 1048576.0:F1} MiB)");

        Assert.True(growth < BoundBytes, $"the heap grew by {growth / 1048576.0:F1} MiB (bound {BoundBytes / 1048576} MiB)");
        var residual = await ResidualTraffic.ResidualAsync(bridge);
        Assert.Equal(256 + Clients, residual.GetProperty("total").GetInt64());
        Assert.All(residual.GetProperty("topUserAgents").EnumerateArray(), a => Assert.True(a.GetProperty("userAgent").GetString()!.Length <= 256));
        GC.KeepAlive(bridge);
    }

    [Fact]
    public async Task The_access_log_carries_the_capped_user_agent()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { ResidualTraffic.Host }, Target = new { target.Address, target.Port, Scheme = "http" } } },
        });

        await ResidualTraffic.SendAsync(bridge, 1, i => (ResidualTraffic.Address(i), HostileAgent(i)));

        // The access-log event is written once the response is done, which may be just after the client has it.
        string? logged = null;
        for (var wait = 0; logged is null && wait < 100; wait++)
        {
            logged = bridge.Logs.Events.Select(e => LogCapture.Property(e, "UserAgent")).SingleOrDefault(a => a is not null);
            if (logged is null)
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal(256, logged!.Length);
        Assert.StartsWith("Hostile/", logged, StringComparison.Ordinal);
    }
}
