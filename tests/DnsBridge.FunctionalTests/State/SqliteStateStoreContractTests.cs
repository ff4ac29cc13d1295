using DnsBridge.Configuration;
using DnsBridge.State;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace DnsBridge.FunctionalTests.State;

/// <summary>The store contract against a real SQLite file in a temporary folder.</summary>
public sealed class SqliteStateStoreContractTests : StateStoreContractTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-state").FullName;

    private string FilePath => Path.Combine(_dir, "state.db");

    private protected override StateStores Open() => StateStores.Open(new StateConfig { Path = FilePath }, NullLoggerFactory.Instance);

    protected override IDisposable BlockWrites()
    {
        _ = Stores;
        var blocker = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        blocker.Open();
        using var begin = blocker.CreateCommand();
        begin.CommandText = "BEGIN EXCLUSIVE;";
        begin.ExecuteNonQuery();
        return blocker;
    }

    [Fact]
    public void The_location_is_the_full_path_of_the_file()
    {
        Assert.Equal(Path.GetFullPath(FilePath), Stores.Database.Location);
    }

    protected override void DisposeStorage() => Directory.Delete(_dir, recursive: true);
}
