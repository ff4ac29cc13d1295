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

        // Exactly one leader, and every replica names the same one. The deadline is generous (three processes starting
        // on a loaded machine); it costs nothing when the election is quick.
        var leader = await cluster.WaitForOneLeaderAsync(replicas, TimeSpan.FromSeconds(60));
        var gauges = await Task.WhenAll(replicas.Select(async r => MetricsText.Value(await cluster.MetricsAsync(r), "dnsbridge_cluster_leader")));
        Assert.True(gauges.Sum() == 1 && gauges[Array.FindIndex(replicas, r => r == cluster.Replicas[leader])] == 1,
            $"leader gauges r1..r3 {string.Join("/", gauges)} while the replicas name {leader}:\n{await cluster.ViewsAsync(replicas)}");

        // 70, 50 and 30 requests through the three replicas: each API shows 150 (flushed every second, read every second
        // by the others), and its share per replica.
        await Task.WhenAll(ClusterHarness.SendAsync(replicas[0], 70), ClusterHarness.SendAsync(replicas[1], 50), ClusterHarness.SendAsync(replicas[2], 30));
        var totals = Array.Empty<long>();
        await ClusterHarness.WaitAsync(async () =>
        {
            totals = await Task.WhenAll(replicas.Select(async r => (await cluster.ApiAsync(r, "/api/cutovers/shop")).GetProperty("residual").GetProperty("total").GetInt64()));
            return totals.All(t => t == 150);
        }, TimeSpan.FromSeconds(30), () => $"totals on r1..r3: {string.Join("/", totals)}, not 150 each\n{cluster.Outputs()}");
        foreach (var replica in replicas)
        {
            var cutover = await cluster.ApiAsync(replica, "/api/cutovers/shop");
            var perReplica = cutover.GetProperty("residual").GetProperty("replicas").EnumerateArray()
                .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("requests").GetInt64());
            Assert.Equal(new Dictionary<string, long> { ["r1"] = 70, ["r2"] = 50, ["r3"] = 30 }, perReplica);
            var row = (await cluster.ApiAsync(replica, "/api/summary")).EnumerateArray().Single(c => c.GetProperty("name").GetString() == "shop");
            Assert.Equal(150, row.GetProperty("residual").GetProperty("total").GetInt64());

            var api = await cluster.ApiAsync(replica, "/api/cluster");
            Assert.True(api.GetProperty("store").GetProperty("reachable").GetBoolean(), $"{replica.AdminUri} says the store is unreachable: {api.GetRawText()}");
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

        // A follower reads the stored drain status and the stored propagation snapshot in separate steps, so for a moment
        // it can nudge while still showing the previous snapshot: wait until every replica shows all three together.
        await cluster.FlipDnsAsync();
        var seen = new string[replicas.Length];
        await ClusterHarness.WaitAsync(async () =>
        {
            var cutovers = await Task.WhenAll(replicas.Select(r => cluster.ApiAsync(r, "/api/cutovers/shop")));
            for (var i = 0; i < cutovers.Length; i++)
            {
                seen[i] = $"nudge {cutovers[i].GetProperty("nudge").GetRawText()}, drain {cutovers[i].GetProperty("drain").GetRawText()}, propagation {cutovers[i].GetProperty("propagation").GetRawText()}";
            }

            return cutovers.All(c => c.GetProperty("nudge").GetProperty("active").GetBoolean()
                && c.GetProperty("drain").GetProperty("state").GetString() == "draining"
                && c.GetProperty("propagation").GetProperty("complete").GetBoolean());
        }, TimeSpan.FromSeconds(60), () => $"not nudging, draining and complete on every replica:\n{string.Join("\n", seen)}\n{cluster.Outputs()}");
        foreach (var replica in replicas)
        {
            using var client = LoopbackClient.Create(replica.ProxyEndPoint);
            using var response = await client.GetAsync(new Uri($"http://{ClusterHarness.Host}/p"));
            Assert.True(response.Headers.ConnectionClose, $"{replica.ProxyEndPoint} did not nudge");
        }

        // The monitor ran on the leader only: a replica that never led polled nothing itself. Under load a leader whose
        // ping takes longer than the step timeout steps down by design, so who led is read from each replica's own log.
        var asked = await Task.WhenAll(replicas.Select(async r => MetricsText.Value(await cluster.MetricsAsync(r), "dnsbridge_dns_query_duration_seconds_count")));
        var led = cluster.Replicas.ToDictionary(r => r.Value, r => r.Value.Output.Contains($"Replica {r.Key} leads the cluster", StringComparison.Ordinal));
        var figures = string.Join(", ", replicas.Select((r, i) => $"{cluster.Replicas.Single(x => x.Value == r).Key}: led {led[r]}, asked {asked[i]}"));
        Assert.True(led[cluster.Replicas[leader]] && asked[Array.FindIndex(replicas, r => r == cluster.Replicas[leader])] > 0, $"the leader {leader} asked no DNS question ({figures})");
        for (var i = 0; i < replicas.Length; i++)
        {
            Assert.True(led[replicas[i]] || double.IsNaN(asked[i]) || asked[i] == 0, $"a replica that never led asked DNS questions ({figures})\n{cluster.Outputs()}");
        }
    }

    [Fact]
    public async Task Two_replicas_started_at_once_on_an_empty_database_both_come_up_with_one_leader()
    {
        await using var cluster = await ClusterHarness.StartAsync(server);
        var started = await Task.WhenAll(cluster.StartReplicaAsync("a"), cluster.StartReplicaAsync("b"));

        await cluster.WaitForOneLeaderAsync(started, TimeSpan.FromSeconds(60));
        var latest = DnsBridge.State.Postgres.PostgresMigration.Latest;
        Assert.Equal(latest, Convert.ToInt32(await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT MAX(version) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1L, await PostgresServer.ScalarAsync(cluster.ConnectionString, $"SELECT count(*) FROM schema_version WHERE version = {latest}"));
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
