using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace DnsBridge.FunctionalTests.State;

/// <summary>
/// The state store failing at runtime (here: another process holding the database's write lock, which SQLite
/// reports like a read-only or full disk): readiness says so, the forwarder keeps forwarding, and the residual
/// counts written once the store is back are complete.
/// </summary>
public sealed class StoreFailureTests : IAsyncLifetime
{
    private TestUpstream _target = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        _bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { _target.Address, _target.Port, Scheme = "http" } } },
        });
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _target.DisposeAsync();
    }

    private async Task SendAsync(int count)
    {
        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal("ok", await client.GetStringAsync($"http://shop.example.test/{i}"));
        }
    }

    private async Task<HttpStatusCode> WaitForReadyzAsync(HttpStatusCode expected)
    {
        using var admin = _bridge.CreateAdminClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            status = (await admin.GetAsync("/readyz")).StatusCode;
            if (status == expected)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        return status;
    }

    private long StoredResidual()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_bridge.Directory, "dnsbridge.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(count), 0) FROM residual_minutes WHERE cutover = 'shop'";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Readiness_fails_while_the_store_cannot_be_written_forwarding_goes_on_and_no_count_is_lost()
    {
        await SendAsync(10);

        using (var blocker = new SqliteConnection($"Data Source={Path.Combine(_bridge.Directory, "dnsbridge.db")};Pooling=False"))
        {
            blocker.Open();
            using (var command = blocker.CreateCommand())
            {
                command.CommandText = "PRAGMA busy_timeout=10000; BEGIN EXCLUSIVE;";
                command.ExecuteNonQuery();
            }

            // Every request is still forwarded while the store is unavailable.
            await SendAsync(25);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await WaitForReadyzAsync(HttpStatusCode.ServiceUnavailable));
            using var admin = _bridge.CreateAdminClient();
            Assert.Contains("state store: write failed", await (await admin.GetAsync("/readyz")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains(_bridge.Logs.Messages, m => m.Contains("dnsbridge.db", StringComparison.Ordinal) && m.Contains("locked", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(1, _bridge.Metric("dnsbridge_state_store_failing"));
            await SendAsync(5);

            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        Assert.Equal(HttpStatusCode.OK, await WaitForReadyzAsync(HttpStatusCode.OK));
        Assert.Equal(0, _bridge.Metric("dnsbridge_state_store_failing"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (StoredResidual() < 40 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(40, StoredResidual());
    }
}
