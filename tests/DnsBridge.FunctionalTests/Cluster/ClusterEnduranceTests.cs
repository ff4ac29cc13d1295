using DnsBridge.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Cluster;

/// <summary>
/// An ordinary afternoon of a cluster: three replicas on one PostgreSQL, the monitor polling every second. Nothing
/// happens, and nothing must: every replica stays up and the first leader keeps the lock.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class ClusterEnduranceTests(PostgresServer server, ITestOutputHelper output)
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Three_idle_replicas_polling_every_second_stay_up_and_keep_one_leader()
    {
        await using var cluster = await ClusterHarness.StartAsync(server);
        BridgeProcess[] replicas = [await cluster.StartReplicaAsync("r1"), await cluster.StartReplicaAsync("r2"), await cluster.StartReplicaAsync("r3")];
        var leader = await cluster.WaitForOneLeaderAsync(replicas, TimeSpan.FromSeconds(60));
        var term = await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT term FROM cluster_leader");

        var until = DateTime.UtcNow + Idle;
        while (DateTime.UtcNow < until)
        {
            Assert.False(replicas.Any(r => r.HasExited), $"a replica exited:\n{cluster.Outputs()}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(leader, await cluster.WaitForOneLeaderAsync(replicas, TimeSpan.FromSeconds(30)));
        var lost = cluster.Outputs().Split('\n').Where(l => l.Contains("lost the leadership", StringComparison.Ordinal) || l.Contains("cannot be reached", StringComparison.Ordinal)).ToList();
        output.WriteLine($"{Idle.TotalSeconds} s idle: leader {leader}, term {term} -> {await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT term FROM cluster_leader")}; {lost.Count} leadership losses");
        Assert.True(lost.Count == 0, $"the leadership was lost or the store unreachable:\n{string.Join('\n', lost)}\n{cluster.Outputs()}");
        Assert.Equal(term, await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT term FROM cluster_leader"));
    }
}
