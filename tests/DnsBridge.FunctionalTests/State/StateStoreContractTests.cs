using DnsBridge.Events;
using DnsBridge.State;

namespace DnsBridge.FunctionalTests.State;

/// <summary>
/// What a user of the state stores relies on, whatever database is behind them: each implementation runs these same
/// assertions through a subclass that says how to open its store. Times are whole milliseconds, which every
/// database keeps exactly.
/// </summary>
public abstract class StateStoreContractTests : IDisposable
{
    protected static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private StateStores? _stores;

    /// <summary>
    /// Opens this test's store: empty at the first call; a later call (after <see cref="Restart"/>) finds what was
    /// written before, as a restarted <c>serve</c> would.
    /// </summary>
    private protected abstract StateStores Open();

    /// <summary>Makes every write fail (another holder of the write lock) until the result is disposed.</summary>
    protected abstract IDisposable BlockWrites();

    private protected StateStores Stores => _stores ??= Open();

    protected void Restart()
    {
        _stores?.Dispose();
        _stores = Open();
    }

    private static CutoverEvent Event(string id, string cutover = "shop", string name = EventNames.DrainComplete, int second = 0) =>
        new(id, cutover, name, T0.AddSeconds(second), $"{cutover}: {name}");

    private static DrainStatus Status(DrainState state, long residual = 0) =>
        new() { State = state, Since = T0, DnsSwitchedAt = T0.AddMinutes(-5), QuietSince = T0.AddMilliseconds(250), ResidualTotal = residual };

    [Fact]
    public void A_saved_status_reads_back_equal_and_survives_a_restart()
    {
        Assert.Empty(Stores.Statuses.Load());
        Assert.True(Stores.Statuses.Save("shop", Status(DrainState.Draining, 12), T0));
        Assert.True(Stores.Statuses.Save("blog", Status(DrainState.Pending), T0));
        Assert.True(Stores.Statuses.Save("shop", Status(DrainState.Quiet, 15), T0.AddSeconds(1)));

        Restart();

        var loaded = Stores.Statuses.Load();
        Assert.Equal(2, loaded.Count);
        Assert.Equal(Status(DrainState.Quiet, 15), loaded["shop"]);
        Assert.Equal(Status(DrainState.Pending), loaded["blog"]);
        Assert.Null(Stores.Database.Problem());
    }

    [Fact]
    public void An_appended_event_brings_its_status_and_one_outbox_row_per_receiver()
    {
        var e = Event("e1");
        Assert.True(Stores.Events.Append(e, Status(DrainState.Drained), ["https://a.example/hook", "https://b.example/hook"], T0));

        Assert.Equal(e, Assert.Single(Stores.Events.Events("shop")));
        Assert.Equal(Status(DrainState.Drained), Stores.Statuses.Load()["shop"]);
        Assert.Equal(
            [new OutboxRow("https://a.example/hook", 0, null, null, null), new OutboxRow("https://b.example/hook", 0, null, null, null)],
            Stores.Events.Outbox("e1"));
        Assert.Equal([new Delivery("e1", "https://a.example/hook", 0, e), new Delivery("e1", "https://b.example/hook", 0, e)],
            Stores.Events.DueDeliveries(T0).OrderBy(d => d.Receiver, StringComparer.Ordinal));
    }

    [Fact]
    public void A_test_events_rows_are_never_due_so_a_running_dispatcher_does_not_send_it_too()
    {
        Assert.True(Stores.Events.AppendTest(Event("t1"), ["ops"], T0));
        Assert.Empty(Stores.Events.DueDeliveries(T0.AddDays(365)));
        Assert.Equal("t1", Assert.Single(Stores.Events.Events("shop")).Id);

        // The caller's one attempt is recorded on the row.
        Assert.True(Stores.Events.MarkDelivered("t1", "ops", T0.AddSeconds(1)));
        Assert.Equal(T0.AddSeconds(1), Assert.Single(Stores.Events.Outbox("t1")).DeliveredAt);
    }

    [Fact]
    public void An_event_without_a_status_leaves_the_cutovers_status_alone()
    {
        Assert.True(Stores.Statuses.Save("shop", Status(DrainState.Draining, 3), T0));
        Assert.True(Stores.Events.Append(Event("e1", name: EventNames.TargetUnhealthy), null, ["r"], T0));
        Assert.True(Stores.Events.AppendTest(Event("t1", name: EventNames.TestAlert), ["r"], T0));

        Assert.Equal(Status(DrainState.Draining, 3), Assert.Single(Stores.Statuses.Load()).Value);
        Assert.Equal(["e1", "t1"], Stores.Events.Events("shop").Select(e => e.Id));
        Assert.Single(Stores.Events.Outbox("t1"));
    }

    [Fact]
    public void An_append_that_cannot_be_written_stores_none_of_it_and_is_reported_until_a_write_succeeds()
    {
        using (BlockWrites())
        {
            Assert.False(Stores.Events.Append(Event("e1"), Status(DrainState.Drained), ["r"], T0));
            Assert.NotNull(Stores.Database.Problem());
        }

        Assert.Empty(Stores.Events.Events(null));
        Assert.Empty(Stores.Events.Outbox("e1"));
        Assert.Empty(Stores.Statuses.Load());
        Assert.Empty(Stores.Events.DueDeliveries(T0.AddDays(1)));

        Assert.True(Stores.Events.Append(Event("e1"), Status(DrainState.Drained), ["r"], T0));
        Assert.Null(Stores.Database.Problem());
    }

    [Fact]
    public void A_replayed_event_is_stored_once_and_its_delivery_is_not_repeated()
    {
        var e = Event("e1");
        Assert.True(Stores.Events.Append(e, Status(DrainState.Drained), ["r"], T0));
        Assert.True(Stores.Events.MarkDelivered("e1", "r", T0.AddSeconds(1)));

        Restart();
        Assert.True(Stores.Events.Append(e, Status(DrainState.Drained), ["r"], T0.AddSeconds(2)));

        Assert.Equal(e, Assert.Single(Stores.Events.Events(null)));
        Assert.Equal(new OutboxRow("r", 1, null, T0.AddSeconds(1), null), Assert.Single(Stores.Events.Outbox("e1")));
        Assert.Empty(Stores.Events.DueDeliveries(T0.AddDays(1)));
    }

    [Fact]
    public void Due_deliveries_come_oldest_first_up_to_the_limit_and_only_once_due()
    {
        Assert.True(Stores.Events.Append(Event("late", second: 0), null, ["r"], T0.AddSeconds(20)));
        Assert.True(Stores.Events.Append(Event("early", second: 1), null, ["r"], T0));
        Assert.True(Stores.Events.Append(Event("middle", second: 2), null, ["r"], T0.AddSeconds(10)));

        Assert.Equal(["early"], Stores.Events.DueDeliveries(T0.AddSeconds(5)).Select(d => d.EventId));
        Assert.Equal(["early", "middle", "late"], Stores.Events.DueDeliveries(T0.AddMinutes(1)).Select(d => d.EventId));
        Assert.Equal(["early", "middle"], Stores.Events.DueDeliveries(T0.AddMinutes(1), limit: 2).Select(d => d.EventId));
    }

    [Fact]
    public void Delivered_retried_failed_and_given_up_rows_read_as_marked()
    {
        string[] receivers = ["delivered", "retry", "failed", "given-up"];
        Assert.True(Stores.Events.Append(Event("e1"), null, receivers, T0));

        Assert.True(Stores.Events.MarkRetry("e1", "delivered", T0.AddSeconds(1), "HTTP 503"));
        Assert.True(Stores.Events.MarkDelivered("e1", "delivered", T0.AddSeconds(2)));
        Assert.True(Stores.Events.MarkRetry("e1", "retry", T0.AddSeconds(30), "timeout"));
        Assert.True(Stores.Events.MarkFailed("e1", "failed", T0.AddSeconds(3), "HTTP 404"));
        Assert.True(Stores.Events.GiveUp("e1", "given-up", T0.AddSeconds(4)));

        Assert.Equal(
        [
            new OutboxRow("delivered", 2, null, T0.AddSeconds(2), null),
            new OutboxRow("retry", 1, "timeout", null, null),
            new OutboxRow("failed", 1, "HTTP 404", null, T0.AddSeconds(3)),
            new OutboxRow("given-up", 0, null, null, T0.AddSeconds(4)),
        ], Stores.Events.Outbox("e1"));

        // Only the retried row comes back, and only once its next attempt is due.
        Assert.Empty(Stores.Events.DueDeliveries(T0.AddSeconds(29)));
        var due = Assert.Single(Stores.Events.DueDeliveries(T0.AddSeconds(30)));
        Assert.Equal(("retry", 1), (due.Receiver, due.Attempts));
    }

    [Fact]
    public void Pending_alerts_are_the_undelivered_rows_of_one_cutover_oldest_event_first()
    {
        Assert.True(Stores.Events.Append(Event("second", second: 10, name: EventNames.DrainComplete), null, ["r"], T0));
        Assert.True(Stores.Events.Append(Event("first", second: 0, name: EventNames.DnsSwitched), null, ["r", "s"], T0));
        Assert.True(Stores.Events.Append(Event("other", cutover: "blog"), null, ["r"], T0));
        Assert.True(Stores.Events.MarkDelivered("first", "s", T0));
        Assert.True(Stores.Events.MarkFailed("second", "r", T0, "HTTP 400"));

        Assert.Equal(
        [
            new PendingAlert(EventNames.DnsSwitched, "first", "r", 0, null, false, T0, T0),
            new PendingAlert(EventNames.DrainComplete, "second", "r", 1, "HTTP 400", true, T0.AddSeconds(10), T0),
        ], Stores.Events.PendingAlerts("shop"));
        Assert.Empty(Stores.Events.PendingAlerts("nope"));
    }

    [Fact]
    public void The_backlog_counts_rows_still_being_tried_by_event_with_the_oldest_event_time()
    {
        Assert.Null(Stores.Events.Backlog().OldestSince);
        Assert.Empty(Stores.Events.Backlog().ByEvent);
        Assert.True(Stores.Events.Append(Event("a", second: 10, name: EventNames.DrainComplete), null, ["r", "s", "t"], T0));
        Assert.True(Stores.Events.Append(Event("b", second: 5, name: EventNames.DnsSwitched, cutover: "blog"), null, ["r"], T0));
        Assert.True(Stores.Events.MarkDelivered("a", "s", T0));
        Assert.True(Stores.Events.MarkFailed("a", "t", T0, "HTTP 400"));
        Assert.True(Stores.Events.MarkRetry("a", "r", T0.AddMinutes(10), "HTTP 503"));

        var backlog = Stores.Events.Backlog();
        Assert.Equal(new Dictionary<string, int> { [EventNames.DrainComplete] = 1, [EventNames.DnsSwitched] = 1 }, backlog.ByEvent);
        Assert.Equal(T0.AddSeconds(5), backlog.OldestSince);

        Assert.True(Stores.Events.MarkDelivered("b", "r", T0));
        Assert.Equal(T0.AddSeconds(10), Stores.Events.Backlog().OldestSince);
    }

    [Fact]
    public void Events_are_the_latest_oldest_first_for_one_cutover_or_all()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.True(Stores.Events.Append(Event($"s{i}", second: i), null, [], T0));
        }

        Assert.True(Stores.Events.Append(Event("b0", cutover: "blog", second: 2), null, [], T0));

        Assert.Equal(["s2", "s3", "s4"], Stores.Events.Events("shop", limit: 3).Select(e => e.Id));
        Assert.Equal(["s0", "s1", "s2", "b0", "s3", "s4"], Stores.Events.Events(null).Select(e => e.Id));
    }

    [Fact]
    public void Residual_minutes_written_twice_add_up_and_read_in_minute_order()
    {
        var minute = T0.ToUnixTimeSeconds() / 60;
        Assert.True(Stores.ResidualHistory.Add([new("shop", minute + 1, 4), new("shop", minute, 3), new("blog", minute, 7)]));
        Assert.True(Stores.ResidualHistory.Add([new("shop", minute, 2)]));
        Assert.True(Stores.ResidualHistory.Add([]));

        Assert.Equal([new ResidualMinute("shop", minute, 5), new ResidualMinute("shop", minute + 1, 4)], Stores.ResidualHistory.Minutes("shop"));
        Assert.Equal(T0, Stores.ResidualHistory.Minutes("shop")[0].Start);
        Assert.Empty(Stores.ResidualHistory.Minutes("nope"));
    }

    [Fact]
    public void Propagation_changes_of_a_cutover_read_oldest_first_with_their_ttl()
    {
        PropagationChange Change(string resolver, int second, string answer, int? ttl, string cutover = "shop") =>
            new(cutover, resolver, T0.AddSeconds(second), answer, answer == "target" ? "203.0.113.10" : "198.51.100.7,198.51.100.8", ttl);

        Assert.True(Stores.PropagationHistory.Add(Change("google", 30, "target", 300)));
        Assert.True(Stores.PropagationHistory.Add(Change("google", 0, "source", null)));
        Assert.True(Stores.PropagationHistory.Add(Change("quad9", 10, "source", 60)));
        Assert.True(Stores.PropagationHistory.Add(Change("quad9", 5, "target", 60, cutover: "blog")));

        Assert.Equal([Change("google", 0, "source", null), Change("quad9", 10, "source", 60), Change("google", 30, "target", 300)],
            Stores.PropagationHistory.Changes("shop"));
    }

    [Fact]
    public void The_database_names_where_the_state_lives()
    {
        Assert.False(string.IsNullOrWhiteSpace(Stores.Database.Location));
        Assert.Null(Stores.Database.Problem());
    }

    public void Dispose()
    {
        _stores?.Dispose();
        DisposeStorage();
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes what <see cref="Open"/> created (after the stores are closed).</summary>
    protected virtual void DisposeStorage()
    {
    }
}
