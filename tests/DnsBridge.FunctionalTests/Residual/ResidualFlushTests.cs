using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Residual;
using DnsBridge.State;
using DnsBridge.State.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace DnsBridge.FunctionalTests.Residual;

/// <summary>
/// The per-replica residual rows on a real SQLite file, with a wave of 500 cutovers of which two see traffic: a
/// flush writes the rows whose counts moved, never one per configured cutover, and a restart writes nothing again.
/// </summary>
public sealed class ResidualFlushTests : IDisposable
{
    private const int Cutovers = 500;
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-flush").FullName;
    private readonly FakeTimeProvider _time = new(T0);

    private string FilePath => Path.Combine(_dir, "state.db");

    private StateStores Open() => StateStores.Open(new StateConfig { Path = FilePath }, NullLoggerFactory.Instance);

    private static CutoverConfig Cutover(int i) => new() { Name = $"c{i}", Hosts = [$"c{i}.example.com"], Target = new TargetConfig { Address = "203.0.113.10" } };

    /// <summary>Every configured cutover has its counter, as the route table and the drain detector make them at start.</summary>
    private ResidualAccounting Wave()
    {
        var accounting = new ResidualAccounting(new ResidualMetrics(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())), _time);
        for (var i = 1; i <= Cutovers; i++)
        {
            accounting.For(Cutover(i));
        }

        return accounting;
    }

    /// <summary>Rows of the replica's residual table written at <paramref name="at"/> (each write stamps updated_at).</summary>
    private long RowsWrittenAt(DateTimeOffset at)
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM cluster_residual WHERE updated_at = $at";
        command.Parameters.AddWithValue("$at", SqliteTime.Iso(at));
        return (long)command.ExecuteScalar()!;
    }

    private static void Request(ResidualAccounting accounting, int cutover, int client) =>
        Assert.True(accounting.For(Cutover(cutover)).Record(ResidualObservation.Request("/", "curl/8", IPAddress.Parse($"198.51.100.{client}"))));

    [Fact]
    public void Only_cutovers_whose_counts_moved_are_written()
    {
        using (var stores = Open())
        {
            var accounting = Wave();
            var cluster = new ClusterResidual(accounting, stores.Cluster, "a");

            Assert.True(cluster.Save(T0));
            Assert.Empty(stores.Cluster.Residual());

            Request(accounting, 7, 1);
            Request(accounting, 300, 2);
            var t1 = T0.AddSeconds(1);
            Assert.True(cluster.Save(t1));
            Assert.Equal(2, RowsWrittenAt(t1));

            Request(accounting, 7, 3);
            var t2 = T0.AddSeconds(2);
            Assert.True(cluster.Save(t2));
            Assert.Equal(1, RowsWrittenAt(t2));

            var t3 = T0.AddSeconds(3);
            Assert.True(cluster.Save(t3));
            Assert.Equal(0, RowsWrittenAt(t3));

            var rows = stores.Cluster.Residual();
            Assert.Equal([("c300", 1L), ("c7", 2L)], rows.Select(r => (r.Cutover, r.Requests)));
            Assert.Equal("198.51.100.1 1\n198.51.100.3 1", rows.Single(r => r.Cutover == "c7").TopClients);
        }

        // A restart continues from the stored rows (as the drain detector restores them) and writes none of them again.
        using (var stores = Open())
        {
            var accounting = Wave();
            var cluster = new ClusterResidual(accounting, stores.Cluster, "a");
            foreach (var counter in accounting.Counters)
            {
                if (cluster.Own(counter.Cutover) is { } own)
                {
                    counter.Restore(own.Requests, own.Connections, own.LastResidualAt);
                }
            }

            var t4 = T0.AddSeconds(4);
            Assert.True(cluster.Save(t4));
            Assert.Equal(0, RowsWrittenAt(t4));

            Request(accounting, 300, 4);
            var t5 = T0.AddSeconds(5);
            Assert.True(cluster.Save(t5));
            Assert.Equal(1, RowsWrittenAt(t5));
            Assert.Equal(2, stores.Cluster.Residual().Single(r => r.Cutover == "c300").Requests);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
