namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// The one PostgreSQL of the test run, shared by every class marked <c>[Collection(SharedPostgres.Name)]</c>: they run
/// one after another (a class may stop and start the server) and each creates its own database.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedPostgres : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
