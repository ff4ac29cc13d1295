using DnsBridge.FunctionalTests.Infrastructure;
using Npgsql;

namespace DnsBridge.FunctionalTests.State;

/// <summary>The PostgreSQL fixture itself: the cluster tests depend on stopping it and starting it again under load.</summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresServerTests(PostgresServer server)
{
    [Fact]
    public async Task A_stopped_server_refuses_connections_and_comes_back_with_its_data_on_the_same_port()
    {
        var connectionString = await server.CreateDatabaseAsync("fixture");
        await PostgresServer.ScalarAsync(connectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
        var port = server.Port;

        await server.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => PostgresServer.ScalarAsync(connectionString, "SELECT 1"));

        await server.StartAsync();
        Assert.Equal(port, server.Port);
        Assert.Equal(42, await PostgresServer.ScalarAsync(connectionString, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task Password_authentication_is_enforced_over_tcp()
    {
        var wrong = new NpgsqlConnectionStringBuilder(server.ConnectionString()) { Password = "wrong" }.ConnectionString;
        var e = await Assert.ThrowsAsync<PostgresException>(() => PostgresServer.ScalarAsync(wrong, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, e.SqlState);
    }
}
