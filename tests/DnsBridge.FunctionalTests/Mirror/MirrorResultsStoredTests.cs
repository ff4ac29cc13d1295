using System.Text.Json.Nodes;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.FunctionalTests.Phases;
using DnsBridge.Mirror;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Mirror;

/// <summary>
/// Mirror results live in the store beside the phase: a restart keeps what rehearsal compared, and in cluster mode
/// the readiness report and the switch gate count the copies of every replica, whichever one the operator asks.
/// Source and target answer different bodies ("source ..." / "target ..."), so every copy is a status match and a
/// body mismatch.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class MirrorResultsStoredTests(PostgresServer server)
{
    private static JsonObject Mirrored(JsonObject section)
    {
        var shop = (JsonObject)((JsonArray)section["Cutovers"]!)[0]!;
        shop["Mirror"] = new JsonObject { ["Share"] = 1, ["NoiseShare"] = 0 };
        return section;
    }

    private static JsonObject Require(long copies) => new() { ["MinMirrored"] = copies, ["MinStatusMatch"] = 0.99 };

    private static async Task<JsonNode> ReadinessAsync(BridgeHost bridge)
    {
        using var admin = bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return JsonNode.Parse(await admin.GetStringAsync("/api/cutovers/shop/readiness"))!;
    }

    private static long Copies(JsonNode readiness) => readiness["copies"]!.GetValue<long>();

    private static async Task SendAsync(BridgeHost bridge, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.StartsWith("source", (await GetAsync(bridge)).Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_restart_keeps_the_compared_copies_and_the_gate_still_counts_them()
    {
        await using var apps = await PhaseHarness.StartAsync();
        var directory = Directory.CreateTempSubdirectory("dnsbridge-mirror-restart-");
        try
        {
            var section = Mirrored(apps.Section(require: Require(6), statePath: Path.Combine(directory.FullName, "state.db")));
            await using (var before = await BridgeHost.StartAsync(section.DeepClone()))
            {
                await SendAsync(before, 6);
                await WaitForAsync(() => Copies(ReadinessAsync(before).GetAwaiter().GetResult()) == 6, "6 copies compared");
            }

            await using var after = await BridgeHost.StartAsync(section.DeepClone());
            var restored = await ReadinessAsync(after);
            Assert.Equal(6, Copies(restored));
            Assert.Equal(6, restored["statusMatches"]!.GetValue<long>());
            Assert.Equal(6, restored["bodyMismatches"]!.GetValue<long>());
            Assert.Equal("/page", Assert.Single(restored["groups"]!.AsArray())!["group"]!.GetValue<string>());
            Assert.Equal("rehearsal", await PhaseAsync(after));

            // New copies add to the restored ones, and the gate (6 copies required) opens without a new rehearsal.
            await SendAsync(after, 2);
            await WaitForAsync(() => Copies(ReadinessAsync(after).GetAwaiter().GetResult()) == 8, "8 copies compared");
            Assert.Equal(0, (await CliAsync(after, "freeze", "shop")).Exit);
            var switched = await CliAsync(after, "switch", "shop");
            Assert.True(switched.Exit == 0, switched.Out + switched.Err);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task In_cluster_mode_every_replica_reports_and_gates_on_the_copies_of_all_replicas()
    {
        await using var apps = await PhaseHarness.StartAsync();
        var connectionString = server.CreateDatabase("mirror");
        var replicas = new List<BridgeHost>();
        try
        {
            foreach (var name in new[] { "r1", "r2" })
            {
                replicas.Add(await BridgeHost.StartAsync(Mirrored(apps.Section(replica: name, require: Require(7),
                    state: new JsonObject { ["Provider"] = "postgres", ["ConnectionString"] = connectionString }))));
            }

            // Four copies sampled on r1, three on r2: neither alone reaches the gate's 7.
            await SendAsync(replicas[0], 4);
            await SendAsync(replicas[1], 3);

            // A copy reaches the other replica after its writer's next write and the reader's next read, one
            // MirrorResultsWriter.Every each; twice that again leaves room for a busy machine's late ticks.
            var within = 4 * MirrorResultsWriter.Every;
            foreach (var replica in replicas)
            {
                await WaitForAsync(() => Copies(ReadinessAsync(replica).GetAwaiter().GetResult()) == 7, "7 copies on every replica", within);
            }

            var report = await ReadinessAsync(replicas[1]);
            Assert.Equal(7, report["statusMatches"]!.GetValue<long>());
            Assert.Equal(7, Assert.Single(report["groups"]!.AsArray())!["copies"]!.GetValue<long>());

            Assert.Equal(0, (await CliAsync(replicas[0], "freeze", "shop")).Exit);
            await WaitForAsync(() => PhaseAsync(replicas[1]).GetAwaiter().GetResult() == "frozen", "frozen on r2", TimeSpan.FromSeconds(10));
            var switched = await CliAsync(replicas[1], "switch", "shop");
            Assert.True(switched.Exit == 0, switched.Out + switched.Err);
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
