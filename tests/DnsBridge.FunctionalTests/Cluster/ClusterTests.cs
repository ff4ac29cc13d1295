using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Cluster;

/// <summary>
/// Three real <c>serve</c> processes on one PostgreSQL database act as one DnsBridge: one leader, the same
/// cluster-wide counts on every replica, and every replica nudges once the DNS has moved.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class ClusterTests(PostgresServer server)
{
    [Fact]
    public async Task Three_replicas_elect_one_leader_add_up_their_counts_and_all_nudge_after_the_dns_flips()
    {
        await using var cluster = await ClusterHarness.StartAsync(server);
        BridgeProcess[] replicas = [await cluster.StartReplicaAsync("r1"), await cluster.StartReplicaAsync("r2"), await cluster.StartReplicaAsync("r3")];

        // Exactly one leader, and every replica names the same one.
        await ClusterHarness.WaitAsync(async () =>
        {
            var leaders = await cluster.LeadersAsync(replicas);
            return leaders.All(l => l is not null && l == leaders[0]);
        }, TimeSpan.FromSeconds(15), cluster.Outputs);
        var gauges = await Task.WhenAll(replicas.Select(async r => MetricsText.Value(await cluster.MetricsAsync(r), "dnsbridge_cluster_leader")));
        Assert.Equal(1, gauges.Sum());
        var leader = (await cluster.LeadersAsync(replicas))[0]!;
        Assert.Equal(1, gauges[Array.FindIndex(replicas, r => r == cluster.Replicas[leader])]);

        // 70, 50 and 30 requests through the three replicas: each API shows 150 within a few seconds, and its share per replica.
        await Task.WhenAll(ClusterHarness.SendAsync(replicas[0], 70), ClusterHarness.SendAsync(replicas[1], 50), ClusterHarness.SendAsync(replicas[2], 30));
        await ClusterHarness.WaitAsync(async () =>
        {
            var totals = await Task.WhenAll(replicas.Select(async r => (await cluster.ApiAsync(r, "/api/cutovers/shop")).GetProperty("residual").GetProperty("total").GetInt64()));
            return totals.All(t => t == 150);
        }, TimeSpan.FromSeconds(5), cluster.Outputs);
        foreach (var replica in replicas)
        {
            var perReplica = (await cluster.ApiAsync(replica, "/api/cutovers/shop")).GetProperty("residual").GetProperty("replicas").EnumerateArray()
                .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("requests").GetInt64());
            Assert.Equal(new Dictionary<string, long> { ["r1"] = 70, ["r2"] = 50, ["r3"] = 30 }, perReplica);

            var api = await cluster.ApiAsync(replica, "/api/cluster");
            Assert.True(api.GetProperty("store").GetProperty("reachable").GetBoolean());
            Assert.Equal(3, api.GetProperty("replicas").EnumerateArray().Count(r => r.GetProperty("alive").GetBoolean()));
            Assert.Equal(150, api.GetProperty("replicas").EnumerateArray().Sum(r => r.GetProperty("residualRequests").GetInt64()));
            Assert.Equal(0, api.GetProperty("configMismatch").GetArrayLength());
            Assert.Equal(3, MetricsText.Value(await cluster.MetricsAsync(replica), "dnsbridge_cluster_replicas"));
        }

        // Not nudging before the switch; once the leader sees the DNS complete, every replica tells its clients to reconnect.
        using (var before = LoopbackClient.Create(replicas[1].ProxyEndPoint))
        using (var response = await before.GetAsync(new Uri($"http://{ClusterHarness.Host}/p")))
        {
            Assert.NotEqual(true, response.Headers.ConnectionClose);
        }

        await cluster.FlipDnsAsync();
        await ClusterHarness.WaitAsync(async () =>
        {
            var states = await Task.WhenAll(replicas.Select(async r => (await cluster.ApiAsync(r, "/api/cutovers/shop")).GetProperty("nudge").GetProperty("active").GetBoolean()));
            return states.All(s => s);
        }, TimeSpan.FromSeconds(20), cluster.Outputs);
        foreach (var replica in replicas)
        {
            var cutover = await cluster.ApiAsync(replica, "/api/cutovers/shop");
            Assert.Equal("draining", cutover.GetProperty("drain").GetProperty("state").GetString());
            Assert.True(cutover.GetProperty("propagation").GetProperty("complete").GetBoolean());
            using var client = LoopbackClient.Create(replica.ProxyEndPoint);
            using var response = await client.GetAsync(new Uri($"http://{ClusterHarness.Host}/p"));
            Assert.True(response.Headers.ConnectionClose, $"{replica.ProxyEndPoint} did not nudge");
        }

        // The monitor ran on the leader only: the followers polled nothing themselves.
        Assert.True(MetricsText.Value(await cluster.MetricsAsync(cluster.Replicas[leader]), "dnsbridge_dns_query_duration_seconds_count") > 0);
        foreach (var replica in replicas.Where(r => r != cluster.Replicas[leader]))
        {
            var asked = MetricsText.Value(await cluster.MetricsAsync(replica), "dnsbridge_dns_query_duration_seconds_count");
            Assert.True(double.IsNaN(asked) || asked == 0, $"a follower asked {asked} DNS questions");
        }
    }

    [Fact]
    public async Task Two_replicas_started_at_once_on_an_empty_database_both_come_up_with_one_leader()
    {
        await using var cluster = await ClusterHarness.StartAsync(server);
        var started = await Task.WhenAll(cluster.StartReplicaAsync("a"), cluster.StartReplicaAsync("b"));

        await ClusterHarness.WaitAsync(async () =>
        {
            var leaders = await cluster.LeadersAsync(started);
            return leaders.All(l => l is not null && l == leaders[0]);
        }, TimeSpan.FromSeconds(15), cluster.Outputs);
        Assert.Equal(3, Convert.ToInt32(await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT MAX(version) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1L, await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT count(*) FROM schema_version WHERE version = 3"));
        Assert.DoesNotContain("Unhandled", cluster.Outputs(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_with_other_cutovers_is_reported_as_a_configuration_mismatch_on_every_replica()
    {
        await using var cluster = await ClusterHarness.StartAsync(server);
        var same = await cluster.StartReplicaAsync("same");

        // The second replica serves one more host: an operator who updated one pod's config but not the others.
        var other = cluster.ConfigFile("other");
        var text = await File.ReadAllTextAsync(other.Path);
        var edited = text.Replace($"\"Hosts\":[\"{ClusterHarness.Host}\"]", $"\"Hosts\":[\"{ClusterHarness.Host}\",\"www.example.test\"]", StringComparison.Ordinal);
        Assert.NotEqual(text, edited);
        await File.WriteAllTextAsync(other.Path, edited);
        var odd = await cluster.StartReplicaAsync("other");

        await ClusterHarness.WaitAsync(async () =>
        {
            var seenBySame = (await cluster.ApiAsync(same, "/api/cluster")).GetProperty("configMismatch").EnumerateArray().Select(e => e.GetString()).ToList();
            var seenByOdd = (await cluster.ApiAsync(odd, "/api/cluster")).GetProperty("configMismatch").EnumerateArray().Select(e => e.GetString()).ToList();
            return seenBySame.SequenceEqual(["other"]) && seenByOdd.SequenceEqual(["same"]);
        }, TimeSpan.FromSeconds(15), cluster.Outputs);
        Assert.False(string.IsNullOrEmpty((await cluster.ApiAsync(same, "/api/cluster")).GetProperty("warning").GetString()));
        await ClusterHarness.WaitAsync(() => Task.FromResult(same.Output.Contains("run a different configuration", StringComparison.Ordinal)), TimeSpan.FromSeconds(5), cluster.Outputs);
    }
}
