using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>A webhook receiver that hangs: it costs its own delivery a timeout and a retry, never the other receivers.</summary>
public sealed class SlowReceiverTests
{
    [Fact]
    public async Task A_hanging_receiver_times_out_into_a_retry_while_the_others_are_delivered_at_once()
    {
        using var release = new CancellationTokenSource();
        var fastAt = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receivers = await TestUpstream.StartAsync(app =>
        {
            app.MapPost("/slow", async (HttpContext c) =>
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(release.Token, c.RequestAborted);
                await Task.Delay(Timeout.Infinite, linked.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Ok();
            });
            app.MapPost("/fast", () =>
            {
                fastAt.TrySetResult(DateTime.UtcNow);
                return Results.Ok();
            });
        });
        var slow = $"http://127.0.0.1:{receivers.Port}/slow";
        var fast = $"http://127.0.0.1:{receivers.Port}/fast";
        using var outbox = new OutboxHarness(("slow", slow), ("fast", fast));
        var (store, dispatcher) = (outbox.Stores.Events, outbox.Dispatcher);

        var started = DateTime.UtcNow;
        var delivering = dispatcher.DeliverDueAsync(CancellationToken.None);

        // The fast receiver has its alert long before the slow one's 10 s timeout.
        Assert.True(await fastAt.Task.WaitAsync(TimeSpan.FromSeconds(5)) - started < TimeSpan.FromSeconds(5));
        await delivering.WaitAsync(TimeSpan.FromSeconds(30));
        await release.CancelAsync();

        var rows = store.Outbox("e1").ToDictionary(r => r.Receiver);
        Assert.NotNull(rows["fast"].DeliveredAt);
        Assert.Null(rows["slow"].DeliveredAt);
        Assert.Null(rows["slow"].FailedAt);
        Assert.Equal("timeout", rows["slow"].LastError);
        Assert.Equal(1, rows["slow"].Attempts);
    }
}
