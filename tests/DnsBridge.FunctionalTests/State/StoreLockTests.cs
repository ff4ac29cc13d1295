using System.Diagnostics;
using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.State;

/// <summary>Alone in its collection: it counts thread-pool threads, which parallel tests in the same process would move.</summary>
[CollectionDefinition(nameof(StoreLockTests), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>
/// The state store's write lock held by another process for 30 s (a backup, a second replica pointed at the same
/// file): every write of DnsBridge waits out its 2 s lock timeout meanwhile. The API and the forwarder must not
/// wait with it, and timer ticks must not pile up on blocked threads.
/// </summary>
[Collection(nameof(StoreLockTests))]
public sealed class StoreLockTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Held = TimeSpan.FromSeconds(30);
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

    [Fact]
    public async Task The_API_and_the_forwarder_keep_answering_and_threads_do_not_pile_up_while_the_store_is_locked()
    {
        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        using var admin = _bridge.CreateAdminClient();
        Assert.Equal("ok", await client.GetStringAsync("http://shop.example.test/warm"));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/cutovers/shop")).StatusCode);
        await Task.Delay(1500);
        var threadsBefore = ThreadPool.ThreadCount;

        var apiTimes = new List<TimeSpan>();
        var forwarded = 0;
        var threadsDuring = 0;
        using (var blocker = new SqliteConnection($"Data Source={Path.Combine(_bridge.Directory, "dnsbridge.db")};Pooling=False"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE;";
                begin.ExecuteNonQuery();
            }

            // Residual traffic all along, so every tick has counts to write and waits on the lock.
            var end = Stopwatch.StartNew();
            while (end.Elapsed < Held)
            {
                Assert.Equal("ok", await client.GetStringAsync($"http://shop.example.test/{forwarded}"));
                forwarded++;
                var call = Stopwatch.StartNew();
                using var response = await admin.GetAsync("/api/cutovers/shop");
                apiTimes.Add(call.Elapsed);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await Task.Delay(200);
            }

            Assert.NotEqual(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
            threadsDuring = ThreadPool.ThreadCount;

            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();

            // A tick blocked on the store holds its thread for the 2 s lock timeout; one per second piling up would
            // add a thread every second or two for the whole 30 s.
            Assert.True(threadsDuring - threadsBefore <= 6, $"thread-pool threads {threadsBefore} before, {threadsDuring} after 30 s of a locked store");
        }

        // The API reads on its own connection, which a held write lock does not block (WAL): a call that waited for
        // the writer would take its 2 s lock timeout. The median says it without hanging on one slow call.
        apiTimes.Sort();
        var median = apiTimes[apiTimes.Count / 2];
        output.WriteLine($"{forwarded} forwarded, {apiTimes.Count} API calls: median {median.TotalMilliseconds:F1} ms, slowest {apiTimes[^1].TotalMilliseconds:F1} ms; threads {threadsBefore} -> {threadsDuring}");
        Assert.True(median < TimeSpan.FromSeconds(0.5), $"median API call {median.TotalMilliseconds:F0} ms while the store was locked ({apiTimes.Count} calls, slowest {apiTimes[^1].TotalMilliseconds:F0} ms)");
        Assert.True(forwarded > 20);
    }
}
