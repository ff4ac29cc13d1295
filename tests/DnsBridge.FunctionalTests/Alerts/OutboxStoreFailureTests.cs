using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// The store cannot record a delivery (another process holds the write lock, as a backup or a second replica on the
/// same file would): the receiver still gets the alert exactly once, and the outcome is written once the store is back.
/// </summary>
public sealed class OutboxStoreFailureTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_delivery_the_store_cannot_record_is_not_sent_again_and_is_recorded_when_the_store_recovers(bool atShutdown)
    {
        var received = 0;
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref received);
            return Results.Ok();
        }));
        var url = $"http://127.0.0.1:{receiver.Port}/hook";
        using var outbox = new OutboxHarness(("hook", url));
        var (store, dispatcher) = (outbox.Stores.Events, outbox.Dispatcher);

        using (var blocker = new SqliteConnection($"Data Source={outbox.Stores.Database.Location};Pooling=False"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE;";
                begin.ExecuteNonQuery();
            }

            await dispatcher.DeliverDueAsync(CancellationToken.None);
            Assert.Equal(1, Volatile.Read(ref received));
            Assert.NotNull(outbox.Stores.Database.Problem());
            Assert.Equal(1, dispatcher.UnrecordedOutcomes);

            // The row still reads as due in the store; the dispatcher knows better.
            Assert.Single(store.DueDeliveries(DateTimeOffset.UtcNow));
            await dispatcher.DeliverDueAsync(CancellationToken.None);
            Assert.Equal(1, Volatile.Read(ref received));

            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        // The next tick writes it, or the shutdown does (else the next start would send it again).
        await (atShutdown ? dispatcher.StopAsync(CancellationToken.None) : dispatcher.DeliverDueAsync(CancellationToken.None));
        Assert.Equal(0, dispatcher.UnrecordedOutcomes);
        var row = Assert.Single(store.Outbox("e1"));
        Assert.NotNull(row.DeliveredAt);
        Assert.Equal(1, row.Attempts);
        Assert.Empty(store.DueDeliveries(DateTimeOffset.UtcNow));

        await dispatcher.DeliverDueAsync(CancellationToken.None);
        Assert.Equal(1, Volatile.Read(ref received));
    }
}
