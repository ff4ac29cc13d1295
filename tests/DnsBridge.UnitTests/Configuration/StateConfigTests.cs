using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

public sealed class StateConfigTests
{
    private const string Secret = "s3cret-pa55word";

    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string state)
    {
        var json = $$"""
            { "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ],
                             "State": {{state}} } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void Sqlite_is_the_default_provider()
    {
        var (config, errors) = Load("{}");
        Assert.Empty(errors);
        Assert.Equal(StateConfig.ProviderSqlite, config.State.Provider);
        Assert.False(config.State.IsPostgres);
        Assert.Null(config.State.ConnectionString);
    }

    [Fact]
    public void Postgres_with_a_connection_string_is_valid_and_the_provider_name_is_case_insensitive()
    {
        var (config, errors) = Load($$"""{ "Provider": "Postgres", "ConnectionString": "Host=db.internal;Port=5433;Database=dnsbridge;Username=dnsbridge;Password={{Secret}}" }""");
        Assert.Empty(errors);
        Assert.True(config.State.IsPostgres);
        Assert.Equal("postgres://db.internal:5433/dnsbridge", PostgresConnectionString.Describe(config.State.ConnectionString));
    }

    [Theory]
    [InlineData("""{ "Provider": "postgres" }""", "DnsBridge:State:ConnectionString", "is required with Provider 'postgres'")]
    [InlineData("""{ "Provider": "postgres", "ConnectionString": "  " }""", "DnsBridge:State:ConnectionString", "is required with Provider 'postgres'")]
    [InlineData("""{ "Provider": "mysql" }""", "DnsBridge:State:Provider", "must be 'sqlite' or 'postgres', got 'mysql'")]
    [InlineData("""{ "Provider": "postgres", "ConnectionString": "Database=dnsbridge" }""", "DnsBridge:State:ConnectionString", "has no Host")]
    [InlineData("""{ "Provider": "postgres", "ConnectionString": "Host=db;Colour=blue;Password=s3cret-pa55word" }""", "DnsBridge:State:ConnectionString", "keywords given: Host, Colour, Password")]
    [InlineData("""{ "Provider": "postgres", "ConnectionString": "Host=db;Port=s3cret-pa55word" }""", "DnsBridge:State:ConnectionString", "cannot be parsed")]
    [InlineData("""{ "Provider": "postgres", "ConnectionString": "s3cret-pa55word" }""", "DnsBridge:State:ConnectionString", "cannot be parsed")]
    [InlineData("""{ "ConnectionString": "Host=db;Password=s3cret-pa55word" }""", "DnsBridge:State:ConnectionString", "only used with Provider 'postgres'")]
    [InlineData("""{ "Provider": "postgres", "Conection": "x" }""", "DnsBridge:State:Conection", "unknown key")]
    public void Bad_state_settings_name_their_key_and_never_repeat_the_connection_string(string state, string path, string message)
    {
        var (_, errors) = Load(state);
        var error = Assert.Single(errors, e => e.Path == path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.All(errors, e => Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void The_config_record_never_prints_its_connection_string()
    {
        var (config, _) = Load($$"""{ "Provider": "postgres", "ConnectionString": "Host=db;Password={{Secret}}" }""");
        Assert.DoesNotContain(Secret, config.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, config.State.ToString(), StringComparison.Ordinal);
        Assert.Contains("(secret)", config.State.ToString(), StringComparison.Ordinal);
    }
}
