using DnsBridge.Cluster;
using DnsBridge.State.Postgres;
using Npgsql;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>
/// Without libgssapi_krb5 (the container image has none) Npgsql's default GSS attempt prints a non-JSON line at every
/// start: both connection paths turn it off, unless the user's connection string chose a mode.
/// </summary>
public sealed class PostgresGssDefaultTests
{
    private const string Plain = "Host=db.example.test;Database=dnsbridge;Username=dnsbridge;Password=s3cret";

    public static TheoryData<string, GssEncryptionMode> Cases => new()
    {
        { Plain, GssEncryptionMode.Disable },
        { Plain + ";GSS Encryption Mode=Require", GssEncryptionMode.Require },
        { Plain + ";GssEncryptionMode=Prefer", GssEncryptionMode.Prefer },
        { Plain + ";gssencryptionmode=Prefer", GssEncryptionMode.Prefer },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_state_database_connects_without_GSS_unless_told(string connectionString, GssEncryptionMode expected) =>
        Assert.Equal(expected, PostgresStateDatabase.WithDefaults(new NpgsqlConnectionStringBuilder(connectionString)).GssEncryptionMode);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_leadership_session_connects_without_GSS_unless_told(string connectionString, GssEncryptionMode expected) =>
        Assert.Equal(expected, PostgresLockSession.SessionConnectionString(connectionString, "replica-1").GssEncryptionMode);

    [Fact]
    public void The_other_defaults_stay()
    {
        var b = PostgresStateDatabase.WithDefaults(new NpgsqlConnectionStringBuilder(Plain));
        Assert.Equal(5, b.Timeout);
        Assert.Equal("dnsbridge", b.ApplicationName);
        Assert.Equal("s3cret", b.Password);
    }
}
