using System.Diagnostics;
using System.Net;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Cluster;

/// <summary>
/// Database trouble on an ordinary cutover afternoon: three replicas under load while PostgreSQL is paused (SIGSTOP)
/// for 10 s, then slow (every packet to it delayed), then the leader's lock session is terminated by the server. What
/// a user must never see: a replica that exits, a forwarded request that fails, two leaders at the end, a count that
/// goes missing, a drain status that goes back, or <c>drain_complete</c> twice.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class ClusterTroubleTests(PostgresServer server, ITestOutputHelper output)
{
    private const int ClientsPerReplica = 3;

    [Fact]
    public async Task Three_replicas_under_load_ride_out_a_paused_a_slow_database_and_a_terminated_lock_session()
    {
        await using var cluster = await ClusterHarness.StartAsync(server, quietPeriod: TimeSpan.FromSeconds(3));
        await using var proxy = new LatencyProxy(new IPEndPoint(IPAddress.Loopback, server.Port));
        cluster.ReplicaConnectionString = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Port = proxy.Port }.ConnectionString;
        BridgeProcess[] replicas = [await cluster.StartReplicaAsync("t1"), await cluster.StartReplicaAsync("t2"), await cluster.StartReplicaAsync("t3")];
        var firstLeader = await cluster.WaitForOneLeaderAsync(replicas, TimeSpan.FromSeconds(60));

        // Every stored status, read directly (not through the proxy) every 200 ms: none may go back.
        using var watching = new CancellationTokenSource();
        var statuses = new List<(DrainState State, string? SwitchedAt)>();
        var watcher = WatchStatusesAsync(cluster.ConnectionString, statuses, watching.Token);

        // Bounded load: 3 clients per replica, at most 20,000 requests each, stopped once the trouble is over.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var load = replicas.SelectMany(r => Enumerable.Range(0, ClientsPerReplica).Select(_ => ClusterFailureTests.Load(r, 20_000, stop.Token, stopOnFailure: false))).ToList();
        await cluster.FlipDnsAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));

        var paused = Stopwatch.StartNew();
        await server.SignalAllAsync(stop: true);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await server.SignalAllAsync(stop: false);
        }

        output.WriteLine($"PostgreSQL paused for {paused.Elapsed.TotalSeconds:F1} s");
        await Task.Delay(TimeSpan.FromSeconds(3));
        proxy.Delay = TimeSpan.FromMilliseconds(300);
        await Task.Delay(TimeSpan.FromSeconds(8));
        proxy.Delay = TimeSpan.Zero;

        var holder = (string?)await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT replica FROM cluster_leader");
        var terminated = await PostgresServer.ScalarAsync(cluster.ConnectionString,
            $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'dnsbridge-leader:{holder}'");
        output.WriteLine($"terminated {terminated} lock session(s) of {holder}");
        await Task.Delay(TimeSpan.FromSeconds(5));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.False(replicas.Any(r => r.HasExited), $"a replica exited:\n{cluster.Outputs()}");
        var sent = load.Sum(l => l.Result.Count);
        var failed = load.Sum(l => l.Result.Failed);
        Assert.True(failed == 0, $"{failed} of {sent + failed} forwarded requests failed ({string.Join("; ", load.Select(l => l.Result.LastError).OfType<string>().Distinct())})\n{cluster.Outputs()}");

        var leader = await cluster.WaitForOneLeaderAsync(replicas, TimeSpan.FromSeconds(60));
        var totals = Array.Empty<long>();
        await ClusterHarness.WaitAsync(async () => (totals = await Task.WhenAll(replicas.Select(async r =>
            (await cluster.ApiAsync(r, "/api/cutovers/shop")).GetProperty("residual").GetProperty("total").GetInt64()))).All(t => t == sent),
            TimeSpan.FromSeconds(30), () => $"sent {sent}, counted {string.Join("/", totals)}\n{cluster.Outputs()}");

        await ClusterHarness.WaitAsync(() => Task.FromResult(cluster.Delivered("drain_complete").Count > 0), TimeSpan.FromSeconds(90), cluster.Outputs);

        // Enough for a second leader tick or dispatcher round to have sent it again, were it going to.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await watching.CancelAsync();
        await watcher;
        var terms = await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT term FROM cluster_leader");
        output.WriteLine($"{sent} requests through 3 replicas, none failed, all counted on every replica; leaders: {firstLeader} first, {leader} at the end (term {terms}); " +
            $"drain_complete delivered {cluster.Delivered("drain_complete").Count} time(s); statuses seen: {string.Join(" ", statuses.Select(s => s.State).Distinct())}");
        Assert.Single(cluster.Delivered("drain_complete"));
        Assert.Single(cluster.Delivered("dns_switched"));

        for (var i = 1; i < statuses.Count; i++)
        {
            var (before, after) = (statuses[i - 1], statuses[i]);
            Assert.True(after.State >= before.State || (before.State == DrainState.Quiet && after.State == DrainState.Draining),
                $"the stored drain state went back from {before.State} to {after.State}: {string.Join(" ", statuses.Select(s => s.State))}");
            Assert.True(before.SwitchedAt is null || before.SwitchedAt == after.SwitchedAt, $"the stored DNS switch time changed from {before.SwitchedAt} to {after.SwitchedAt}");
        }

        Assert.False(replicas.Any(r => r.HasExited), $"a replica exited:\n{cluster.Outputs()}");
    }

    private static Task WatchStatusesAsync(string connectionString, List<(DrainState, string?)> seen, CancellationToken stop) => Task.Run(async () =>
    {
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2, CommandTimeout = 2 }.ConnectionString;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(unpooled);
                await connection.OpenAsync(stop);
                await using var command = new NpgsqlCommand("SELECT status->>'state', status->>'dnsSwitchedAt' FROM cutover_state WHERE name = 'shop'", connection);
                await using var reader = await command.ExecuteReaderAsync(stop);
                if (await reader.ReadAsync(stop))
                {
                    var text = reader.GetString(0);
                    var state = int.TryParse(text, out var n) ? (DrainState)n : Enum.Parse<DrainState>(text, ignoreCase: true);
                    var row = (state, reader.IsDBNull(1) ? null : reader.GetString(1));
                    if (seen.Count == 0 || seen[^1] != row)
                    {
                        seen.Add(row);
                    }
                }
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                // Paused: nothing to read now.
            }

            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }, CancellationToken.None);
}
