using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DnsBridge.FunctionalTests.State;

/// <summary>The store contract against the test run's PostgreSQL, in a fresh database per test.</summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresStateStoreContractTests(PostgresServer server) : StateStoreContractTests
{
    private readonly string _connectionString = server.CreateDatabase("contract");

    private protected override StateStores Open() =>
        StateStores.Open(new StateConfig { Provider = StateConfig.ProviderPostgres, ConnectionString = _connectionString }, NullLoggerFactory.Instance);

    /// <summary>Another session holds every table's exclusive lock: the store's writes wait out their lock timeout and fail.</summary>
    protected override IDisposable BlockWrites()
    {
        _ = Stores;
        var blocker = new NpgsqlConnection(_connectionString);
        blocker.Open();
        using var command = new NpgsqlCommand(
            "BEGIN; LOCK TABLE cutover_state, events, outbox, residual_minutes, propagation_changes, delegation_seen IN ACCESS EXCLUSIVE MODE", blocker);
        command.ExecuteNonQuery();
        return blocker;
    }

    [Fact]
    public void The_location_names_host_port_and_database_but_never_the_password()
    {
        var b = new NpgsqlConnectionStringBuilder(_connectionString);
        Assert.Equal($"postgres://127.0.0.1:{server.Port}/{b.Database}", Stores.Database.Location);
        Assert.DoesNotContain(server.Password, Stores.Database.Location, StringComparison.Ordinal);
    }
}
