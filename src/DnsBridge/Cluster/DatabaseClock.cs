namespace DnsBridge.Cluster;

/// <summary>
/// The clock the replicas of one database agree on: this machine's clock corrected by how far it is from the
/// database server's (measured at every heartbeat, half the round trip taken as the error). Heartbeats, who counts as
/// alive, and the outbox's claim leases are read and written with it, so a replica whose clock is a few seconds off is
/// neither taken for dead nor able to take over a row whose lease has not run out. With SQLite there is no other
/// replica and no correction. Timers and delays are the inner provider's (tests drive them with a fake clock).
/// </summary>
internal sealed class DatabaseClock(TimeProvider inner) : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far the database's clock is ahead of this machine's (negative when behind).</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);

    /// <summary>One reading: the database said <paramref name="database"/> between <paramref name="sent"/> and <paramref name="answered"/> by this machine's clock.</summary>
    public void Observe(DateTimeOffset sent, DateTimeOffset database, DateTimeOffset answered)
    {
        var midpoint = sent + ((answered - sent) / 2);
        Interlocked.Exchange(ref _offsetTicks, (database - midpoint).Ticks);
    }

    /// <summary>This machine's clock, uncorrected: for a reading's <see cref="Observe"/> bounds.</summary>
    public DateTimeOffset LocalNow() => inner.GetUtcNow();
}
