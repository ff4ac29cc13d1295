using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Preflight;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Preflight;
using Npgsql;

namespace DnsBridge.FunctionalTests.Preflight;

/// <summary>The checklist's state row on PostgreSQL: the database reachable or not, shown without its password.</summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresPreflightTests(PostgresServer server)
{
    private static async Task<PreflightResult> StateRowAsync(string connectionString)
    {
        var config = new DnsBridgeConfig
        {
            Listen = new ListenConfig { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
            State = new StateConfig { Provider = StateConfig.ProviderPostgres, ConnectionString = connectionString },
        };
        var report = await new PreflightRunner(TimeProvider.System, new PreflightDnsChecks(new DnsQuerier())).RunAsync(config, null, includeLocal: true, CancellationToken.None);
        return Assert.Single(report.Results, r => r.Check == "state store");
    }

    [Fact]
    public async Task A_reachable_database_passes_and_a_wrong_password_fails_both_shown_as_host_port_and_database()
    {
        var good = await StateRowAsync(server.ConnectionString());
        Assert.Equal(PreflightStatus.Pass, good.Status);
        Assert.Equal($"postgres://127.0.0.1:{server.Port}/postgres", good.Subject);

        var bad = await StateRowAsync(new NpgsqlConnectionStringBuilder(server.ConnectionString()) { Password = "wrong-pa55word-y" }.ConnectionString);
        Assert.Equal(PreflightStatus.Fail, bad.Status);
        Assert.Contains("password authentication failed", bad.Found, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pa55word-y", $"{bad.Subject} {bad.Found} {bad.Action}", StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, $"{good.Subject} {good.Found} {good.Action}", StringComparison.Ordinal);
    }
}
