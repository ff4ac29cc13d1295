using System.Net;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Residual;

/// <summary>
/// Residual traffic in bulk through a real DnsBridge: each request from the client its X-Forwarded-For names (the
/// loopback peer is the only trusted proxy), 32 at a time over keep-alive connections, so tens of thousands of
/// clients take seconds.
/// </summary>
internal static class ResidualTraffic
{
    public const string Host = "shop.example.test";

    public static Task<BridgeHost> StartBridgeAsync(TestUpstream target, object? exclude = null) => BridgeHost.StartAsync(new
    {
        Cutovers = new[]
        {
            new
            {
                Name = "shop",
                Hosts = new[] { Host },
                Target = new { target.Address, target.Port, Scheme = "http" },
                Drain = new { Exclude = exclude ?? new { Paths = Array.Empty<string>() } },
            },
        },
        TrustedProxies = new[] { "127.0.0.1/32" },

        // The access log itself streams out, but the test's log capture keeps every event (and its 16 KiB user
        // agent): off, so what the heap measures is the residual accounting.
        Logging = new { AccessLog = false },
    });

    /// <summary>A distinct public-looking IPv4 address per index (198.18.0.0/15 and up; never a trusted proxy).</summary>
    public static string Address(int i) => $"{198 + (i >> 16)}.{18 + ((i >> 16) & 1)}.{(i >> 8) & 0xff}.{i & 0xff}";

    /// <summary>Sends <paramref name="count"/> requests, the i-th from <paramref name="request"/>(i); every one must be forwarded (200).</summary>
    public static async Task SendAsync(BridgeHost bridge, int count, Func<int, (string Client, string? UserAgent)> request)
    {
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);
        var failures = 0;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var (address, agent) = request(i);
            using var message = new HttpRequestMessage(HttpMethod.Get, $"http://{Host}/");
            message.Headers.TryAddWithoutValidation("X-Forwarded-For", address);
            if (agent is not null)
            {
                message.Headers.TryAddWithoutValidation("User-Agent", agent);
            }

            using var response = await client.SendAsync(message, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    /// <summary>The <c>residual</c> object of <c>/api/cutovers/shop</c>.</summary>
    public static async Task<JsonElement> ResidualAsync(BridgeHost bridge)
    {
        using var admin = bridge.CreateAdminClient();
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
        return doc.RootElement.GetProperty("residual").Clone();
    }
}
