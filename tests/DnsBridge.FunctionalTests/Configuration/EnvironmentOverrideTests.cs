using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Configuration;

/// <summary>
/// DNSBRIDGE__ environment variables override the file, read from a real process environment: a child
/// <c>dnsbridge validate</c>, so nothing is set in this test process, whose tests run in parallel.
/// </summary>
public sealed class EnvironmentOverrideTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-env").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Code, string Output)> ValidateAsync(params (string Name, string Value)[] environment)
    {
        var file = Path.Combine(_dir, "dnsbridge.json");
        await File.WriteAllTextAsync(file, """
            { "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ] } }
            """);
        return await DnsBridgeVerb.RunAsync(_dir, environment, "validate", "--config", file);
    }

    [Fact]
    public async Task Environment_variables_override_and_extend_the_file()
    {
        var (plain, before) = await ValidateAsync();
        Assert.Equal(0, plain);
        Assert.Contains("shop: shop.example.com -> https://203.0.113.10:443", before, StringComparison.Ordinal);

        var (code, output) = await ValidateAsync(
            ("DNSBRIDGE__Cutovers__0__Target__Address", "198.51.100.20"),
            ("DNSBRIDGE__Cutovers__0__Hosts__1", "www.example.com"));

        Assert.Equal(0, code);
        Assert.Contains("shop: shop.example.com, www.example.com -> https://198.51.100.20:443", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_value_from_the_environment_is_reported_with_its_key_path_and_exit_2()
    {
        var (code, output) = await ValidateAsync(("DNSBRIDGE__Cutovers__0__Target__RequestTimeout", "00:00:00"));

        Assert.Equal(2, code);
        Assert.Contains("Cutovers:0:Target:RequestTimeout: must be longer than 00:00:00", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_email_password_comes_from_the_environment_and_is_never_echoed()
    {
        (string, string)[] email =
        [
            ("DNSBRIDGE__Alerts__Email__Host", "smtp.example.com"),
            ("DNSBRIDGE__Alerts__Email__From", "dnsbridge@example.com"),
            ("DNSBRIDGE__Alerts__Email__To__0", "ops@example.com"),
            ("DNSBRIDGE__Alerts__Email__Username", "dnsbridge"),
        ];

        var (missing, without) = await ValidateAsync(email);
        Assert.Equal(2, missing);
        Assert.Contains("Alerts:Email:Password: is required when Username is set", without, StringComparison.Ordinal);

        var (code, output) = await ValidateAsync([.. email, ("DNSBRIDGE__Alerts__Email__Password", "Env-Pa55word-0")]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("Env-Pa55word-0", output, StringComparison.Ordinal);
    }
}
