using DnsBridge.Cluster;

namespace DnsBridge.UnitTests.Cluster;

/// <summary>
/// The lock session runs on every PostgreSQL the README accepts: <c>idle_session_timeout</c> exists from version 14,
/// and setting it on 10-13 would fail the session, so no replica would ever lead there.
/// </summary>
public sealed class PostgresLockSessionTests
{
    [Theory]
    [InlineData("10.23", false)]
    [InlineData("13.16", false)]
    [InlineData("14.0", true)]
    [InlineData("15.10", true)]
    [InlineData("17.2", true)]
    public void The_idle_session_timeout_is_set_only_on_servers_that_have_it(string version, bool set)
    {
        var statement = PostgresLockSession.IdleSessionTimeout(Version.Parse(version));

        if (set)
        {
            Assert.Equal("SET idle_session_timeout = '15s'", statement);
        }
        else
        {
            Assert.Null(statement);
        }
    }

    [Fact]
    public void The_server_never_ends_a_session_its_leader_still_counts_on() =>
        Assert.True(PostgresLockSession.ServerIdleTimeout > LeaderElection.LeaseTimeout);
}
