using System.Text.Json.Nodes;
using DnsBridge.FunctionalTests.Infrastructure;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>Three replicas on one PostgreSQL database: a phase change made on any of them is applied by all within 2 s.</summary>
[Collection(SharedPostgres.Name)]
public sealed class PhaseClusterTests(PostgresServer server)
{
    [Fact]
    public async Task A_change_made_on_one_replica_is_applied_by_every_replica_within_two_seconds()
    {
        await using var apps = await PhaseHarness.StartAsync();
        var connectionString = server.CreateDatabase("phases");
        var replicas = new List<BridgeHost>();
        try
        {
            foreach (var name in new[] { "r1", "r2", "r3" })
            {
                replicas.Add(await BridgeHost.StartAsync(apps.Section(replica: name,
                    state: new JsonObject { ["Provider"] = "postgres", ["ConnectionString"] = connectionString })));
            }

            foreach (var replica in replicas)
            {
                Assert.Equal("rehearsal", await PhaseAsync(replica));
            }

            // Freeze on r2, switch on r3: each change reaches every replica's API and metrics within 2 s.
            foreach (var (on, verb, phase) in new[] { (1, "freeze", "frozen"), (2, "switch", "switched"), (0, "rollback", "rolled_back") })
            {
                Assert.Equal(0, (await CliAsync(replicas[on], verb, "shop")).Exit);
                var changed = System.Diagnostics.Stopwatch.StartNew();
                foreach (var replica in replicas)
                {
                    await WaitForAsync(() => PhaseAsync(replica).GetAwaiter().GetResult() == phase
                        && MetricAsync(replica, "dnsbridge_cutover_phase", ("cutover", "shop"), ("phase", phase)).GetAwaiter().GetResult() == 1,
                        $"{phase} on every replica", TimeSpan.FromSeconds(10));
                }

                Assert.True(changed.Elapsed < TimeSpan.FromSeconds(2), $"{verb}: every replica applied it after {changed.Elapsed}");
            }

            // Requests through each replica go where the phase says.
            foreach (var replica in replicas)
            {
                Assert.StartsWith("source", (await GetAsync(replica)).Body, StringComparison.Ordinal);
            }

            // One event per change, whichever replica made it.
            using var admin = replicas[0].CreateAdminClient();
            admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);
            var events = JsonNode.Parse(await admin.GetStringAsync("/api/cutovers/shop"))!["events"]!.AsArray();
            Assert.Equal(3, events.Count(e => e!["event"]!.GetValue<string>() == "phase_changed"));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }
}
