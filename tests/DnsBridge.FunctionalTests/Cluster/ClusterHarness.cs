using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Cluster;

/// <summary>
/// A cluster on loopback: one database of the test run's PostgreSQL, a real upstream as the target, a dnsmasq
/// resolver answering the source until <see cref="FlipDnsAsync"/>, a webhook receiver recording every delivery, and
/// <c>serve</c> processes as replicas (each with its own config file: ports and replica name; the same cutovers).
/// </summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    public const string Host = "shop.example.test";
    public const string Source = "198.51.100.7";

    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-cluster").FullName;
    private readonly TestUpstream _target;
    private readonly TestUpstream _receiver;
    private readonly Dnsmasq _resolver;
    // Generous: a replica starved of CPU on a loaded CI machine can take seconds to answer; a slow answer is not a failure.
    private readonly HttpClient _admin = new() { Timeout = TimeSpan.FromSeconds(15) };

    private readonly ConcurrentQueue<(string Key, string Event)> _deliveries;

    private ClusterHarness(PostgresServer server, string connectionString, TestUpstream target, TestUpstream receiver, Dnsmasq resolver, TimeSpan quietPeriod,
        ConcurrentQueue<(string Key, string Event)> deliveries)
    {
        _deliveries = deliveries;
        Server = server;
        ConnectionString = connectionString;
        _target = target;
        _receiver = receiver;
        _resolver = resolver;
        QuietPeriod = quietPeriod;
    }

    public PostgresServer Server { get; }

    public string ConnectionString { get; }

    /// <summary>The connection string the replicas are given (by default <see cref="ConnectionString"/>; set before starting them, e.g. through a proxy).</summary>
    public string ReplicaConnectionString { get; set; } = "";

    public TimeSpan QuietPeriod { get; }

    public Dictionary<string, BridgeProcess> Replicas { get; } = new(StringComparer.Ordinal);

    public static async Task<ClusterHarness> StartAsync(PostgresServer server, TimeSpan? quietPeriod = null)
    {
        var connectionString = server.CreateDatabase("cluster");
        var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        var deliveries = new ConcurrentQueue<(string Key, string Event)>();
        var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", async (HttpContext c) =>
        {
            using var body = await JsonDocument.ParseAsync(c.Request.Body);
            deliveries.Enqueue((c.Request.Headers["Idempotency-Key"].ToString(), body.RootElement.GetProperty("event").GetString()!));
            return Results.Ok();
        }));
        var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, ttl: 1);
        return new ClusterHarness(server, connectionString, target, receiver, resolver, quietPeriod ?? TimeSpan.FromHours(1), deliveries);
    }

    /// <summary>Deliveries of one event so far (the receiver's own queue).</summary>
    public IReadOnlyList<(string Key, string Event)> Delivered(string e) => [.. _deliveries.Where(d => d.Event == e)];

    /// <summary>Writes the replica's config file (once) and starts <c>serve</c> with it.</summary>
    public async Task<BridgeProcess> StartReplicaAsync(string name)
    {
        var config = ConfigFile(name);
        var process = await BridgeProcess.StartAsync(config.Path, config.Proxy, config.Admin);
        Replicas[name] = process;
        return process;
    }

    private readonly Dictionary<string, (string Path, int Proxy, int Admin)> _configs = new(StringComparer.Ordinal);

    public (string Path, int Proxy, int Admin) ConfigFile(string name)
    {
        if (_configs.TryGetValue(name, out var known))
        {
            return known;
        }

        int proxy = BridgeProcess.FreePort(), admin = BridgeProcess.FreePort();
        var path = Path.Combine(_dir, $"{name}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxy}", Admin = $"http://127.0.0.1:{admin}" },
                Cutovers = new[]
                {
                    new
                    {
                        Name = "shop", Hosts = new[] { Host }, Target = new { _target.Address, _target.Port, Scheme = "http" },
                        SourceAddresses = new[] { Source },
                        Drain = new { QuietPeriod = QuietPeriod.ToString("c", System.Globalization.CultureInfo.InvariantCulture) },
                    },
                },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "local", _resolver.Address, Region = "loopback" } } },
                Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
                Alerts = new { Webhooks = new[] { new { Url = $"http://127.0.0.1:{_receiver.Port}/hook" } } },
                State = new { Provider = "postgres", ConnectionString = ReplicaConnectionString.Length > 0 ? ReplicaConnectionString : ConnectionString },
                Cluster = new { ReplicaName = name },
            },
        }));
        return _configs[name] = (path, proxy, admin);
    }

    public Task FlipDnsAsync() => _resolver.SetAsync(Host, _target.Address);

    public async Task<JsonElement> ApiAsync(BridgeProcess replica, string path)
    {
        using var document = JsonDocument.Parse(await _admin.GetStringAsync(new Uri(replica.AdminUri, path)));
        return document.RootElement.Clone();
    }

    public async Task<string> MetricsAsync(BridgeProcess replica) => await _admin.GetStringAsync(new Uri(replica.AdminUri, "/metrics"));

    /// <summary>The replica each live process says leads (null for none).</summary>
    public async Task<string?[]> LeadersAsync(IEnumerable<BridgeProcess> replicas) =>
        await Task.WhenAll(replicas.Select(async r => (await ApiAsync(r, "/api/cluster")).GetProperty("leader").GetString()));

    /// <summary>
    /// Waits until each of <paramref name="replicas"/> sees all of them alive and names the same leader, and returns that leader.
    /// Start no clock before this: on a loaded machine starting the processes and the first election can take long.
    /// <paramref name="other"/>: a leader that must not be named (a killed one that the others may still name for a while).
    /// </summary>
    public async Task<string> WaitForOneLeaderAsync(IReadOnlyList<BridgeProcess> replicas, TimeSpan timeout, string? other = null)
    {
        var seen = "nothing yet";
        string? leader = null;
        await WaitAsync(async () =>
        {
            var views = await Task.WhenAll(replicas.Select(r => ApiAsync(r, "/api/cluster")));
            seen = string.Join("\n", views.Select(v => v.GetRawText()));
            var leaders = views.Select(v => v.GetProperty("leader").GetString()).ToList();
            leader = leaders[0];
            var names = views.Select(v => v.GetProperty("replica").GetString()).ToHashSet(StringComparer.Ordinal);
            return leader is not null && leader != other && leaders.All(l => l == leader) && views.All(v =>
                names.IsSubsetOf(v.GetProperty("replicas").EnumerateArray().Where(r => r.GetProperty("alive").GetBoolean()).Select(r => r.GetProperty("name").GetString())));
        }, timeout, () => $"the replicas did not agree on one leader{(other is null ? "" : $" other than {other}")}; /api/cluster last said:\n{seen}\n{Outputs()}");
        return leader!;
    }

    /// <summary>Every replica's <c>/api/cluster</c>, for failure messages.</summary>
    public async Task<string> ViewsAsync(IEnumerable<BridgeProcess> replicas) =>
        string.Join("\n", await Task.WhenAll(replicas.Select(async r =>
        {
            try
            {
                return (await ApiAsync(r, "/api/cluster")).GetRawText();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return $"{r.AdminUri}: {e.Message}";
            }
        })));

    /// <summary>Sends <paramref name="count"/> requests through one replica; returns when each one finished, all answered 200.</summary>
    public static async Task<List<DateTime>> SendAsync(BridgeProcess replica, int count, CancellationToken cancellationToken = default)
    {
        var done = new List<DateTime>(count);
        using var client = LoopbackClient.Create(replica.ProxyEndPoint, TimeSpan.FromSeconds(10));
        for (var i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
        {
            using var response = await client.GetAsync(new Uri($"http://{Host}/p"), CancellationToken.None);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"request {i} through {replica.ProxyEndPoint} answered {(int)response.StatusCode}");
            }

            done.Add(DateTime.UtcNow);
        }

        return done;
    }

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> context)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? error = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                error = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {timeout}{(error is null ? "" : $" (last error: {error})")}:\n{context()}");
            }

            await Task.Delay(100);
        }
    }

    public string Outputs() => string.Join("\n", Replicas.Select(r => $"--- {r.Key}:\n{r.Value.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in Replicas.Values)
        {
            await replica.DisposeAsync();
        }

        _admin.Dispose();
        await _resolver.DisposeAsync();
        await _receiver.DisposeAsync();
        await _target.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
