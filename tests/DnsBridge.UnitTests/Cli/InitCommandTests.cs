namespace DnsBridge.UnitTests.Cli;

/// <summary><c>init</c>'s refusals, which come before any DNS question (the DNS side: InitTests, functional).</summary>
public sealed class InitCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-init").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => Cli.RunAsync(args);

    [Fact]
    public async Task An_existing_file_is_never_overwritten_without_force()
    {
        var file = Path.Combine(_dir, "dnsbridge.json");
        File.WriteAllText(file, "{ \"mine\": true }");

        var (code, _, errors) = await RunAsync("init", "--host", "shop.example.com", "--target", "203.0.113.10", "-o", file);

        Assert.Equal(2, code);
        Assert.Contains($"{file} exists; pass --force to overwrite it", errors, StringComparison.Ordinal);
        Assert.Equal("{ \"mine\": true }", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("--target", "203.0.113.10", "--host is required (input is not a terminal, so nothing is asked)")]
    [InlineData("--host", "shop.example.com", "--target is required (input is not a terminal, so nothing is asked)")]
    public async Task Without_a_terminal_a_missing_flag_is_a_usage_error(string flag, string value, string message)
    {
        var (code, _, errors) = await RunAsync("init", flag, value, "-o", Path.Combine(_dir, "dnsbridge.json"));

        Assert.Equal(2, code);
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "dnsbridge.json")));
    }

    [Theory]
    [InlineData("--target", "shop-lb.example.net", "--target shop-lb.example.net: must be IP or IP:PORT")]
    [InlineData("--host", "*.example.com", "--host *.example.com: wildcards are not supported")]
    [InlineData("--resolver", "dns.example.net", "--resolver dns.example.net: must be IP or IP:PORT")]
    public async Task A_bad_value_names_its_flag(string flag, string value, string message)
    {
        string[] args = flag switch
        {
            "--target" => ["init", "--host", "shop.example.com", "--target", value],
            "--host" => ["init", "--host", value, "--target", "203.0.113.10"],
            _ => ["init", "--host", "shop.example.com", "--target", "203.0.113.10", "--resolver", value],
        };

        var (code, _, errors) = await RunAsync([.. args, "-o", Path.Combine(_dir, "dnsbridge.json")]);

        Assert.Equal(2, code);
        Assert.Contains(message, errors, StringComparison.Ordinal);
    }
}
