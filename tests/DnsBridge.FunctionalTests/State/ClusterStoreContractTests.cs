using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace DnsBridge.FunctionalTests.State;

/// <summary>
/// The cluster rows (<see cref="IClusterStore"/>), the same assertions on SQLite and PostgreSQL: heartbeats, terms,
/// residual totals written as absolute values (a retry counts nothing twice), snapshot documents kept as written.
/// </summary>
public abstract class ClusterStoreContractTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private StateStores? _stores;

    private protected abstract StateStores Open();

    private IClusterStore Store => (_stores ??= Open()).Cluster;

    private void Restart()
    {
        _stores?.Dispose();
        _stores = Open();
    }

    [Fact]
    public void Heartbeats_keep_one_row_per_replica_with_its_latest_time_and_hash()
    {
        Assert.Empty(Store.Replicas());
        Assert.True(Store.Heartbeat("a", "h1", T0));
        Assert.True(Store.Heartbeat("b", "h1", T0));
        Assert.True(Store.Heartbeat("a", "h2", T0.AddSeconds(1)));

        Restart();

        Assert.Equal([new ReplicaRecord("a", T0.AddSeconds(1), "h2"), new ReplicaRecord("b", T0, "h1")], Store.Replicas());
    }

    [Fact]
    public void Each_election_win_is_the_next_term()
    {
        Assert.Null(Store.Leader());
        Assert.True(Store.RecordLeader("a", T0));
        Assert.True(Store.RecordLeader("b", T0.AddSeconds(5)));

        Assert.Equal(new LeaderRecord("b", 2, T0.AddSeconds(5)), Store.Leader());
    }

    [Fact]
    public void Residual_totals_are_absolute_per_replica_and_cutover()
    {
        Assert.True(Store.SaveResidual("a", [new("a", "shop", 10, 2, T0, "127.0.0.1 7\n127.0.0.2 3")], T0));
        Assert.True(Store.SaveResidual("b", [new("b", "shop", 5, 0, null, ""), new("b", "blog", 1, 0, T0, "")], T0));

        // The same figures written again (a retry after an unknown outcome) change nothing; new figures replace.
        Assert.True(Store.SaveResidual("a", [new("a", "shop", 10, 2, T0, "127.0.0.1 7\n127.0.0.2 3")], T0.AddSeconds(1)));
        Assert.True(Store.SaveResidual("a", [new("a", "shop", 12, 2, T0.AddSeconds(2), "127.0.0.1 9")], T0.AddSeconds(2)));

        Restart();

        var rows = Store.Residual();
        Assert.Equal(
            [new("a", "shop", 12, 2, T0.AddSeconds(2), "127.0.0.1 9"), new("b", "blog", 1, 0, T0, ""), new ReplicaResidual("b", "shop", 5, 0, null, "")],
            rows);
    }

    [Fact]
    public void A_snapshot_document_reads_back_as_written_and_the_latest_wins()
    {
        Assert.True(Store.SaveSnapshot("shop", """{"cutover":"shop","ratio":0.5}""", T0));
        Assert.True(Store.SaveSnapshot("shop", """{"cutover":"shop","ratio":1}""", T0.AddSeconds(1)));

        var snapshot = Assert.Single(Store.Snapshots());
        Assert.Equal(new StoredSnapshot("shop", """{"cutover":"shop","ratio":1}""", T0.AddSeconds(1)), snapshot);
    }

    [Fact]
    public void Mirror_results_are_one_document_per_replica_and_cutover_and_the_latest_wins()
    {
        Assert.Empty(Store.Mirrors());
        Assert.True(Store.SaveMirror("a", [new("a", "shop", """{"copies":1}"""), new("a", "blog", """{"copies":2}""")], T0));
        Assert.True(Store.SaveMirror("b", [new("b", "shop", """{"copies":3}""")], T0));
        Assert.True(Store.SaveMirror("a", [new("a", "shop", """{"copies":4}""")], T0.AddSeconds(5)));
        Assert.True(Store.SaveMirror("a", [], T0.AddSeconds(6)));

        Restart();

        Assert.Equal(
            [new("a", "blog", """{"copies":2}"""), new("a", "shop", """{"copies":4}"""), new StoredMirror("b", "shop", """{"copies":3}""")],
            Store.Mirrors());
    }

    public void Dispose()
    {
        _stores?.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteClusterStoreContractTests : ClusterStoreContractTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-cluster").FullName;

    private protected override StateStores Open() => StateStores.Open(new StateConfig { Path = Path.Combine(_dir, "state.db") }, NullLoggerFactory.Instance);

    void IDisposable.Dispose()
    {
        Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

[Collection(SharedPostgres.Name)]
public sealed class PostgresClusterStoreContractTests(PostgresServer server) : ClusterStoreContractTests
{
    private readonly string _connectionString = server.CreateDatabase("cluster");

    private protected override StateStores Open() =>
        StateStores.Open(new StateConfig { Provider = StateConfig.ProviderPostgres, ConnectionString = _connectionString }, NullLoggerFactory.Instance);
}
