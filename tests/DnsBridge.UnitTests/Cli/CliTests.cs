namespace DnsBridge.UnitTests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => Cli.RunAsync(args);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task Validate_accepts_a_valid_file_and_summarises_it()
    {
        var file = Write("""{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com", "www.shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ] } }""");

        var (code, output, _) = await RunAsync("validate", "--config", file);

        Assert.Equal(0, code);
        Assert.Contains("valid, 1 cutover(s), 2 host(s)", output, StringComparison.Ordinal);
        Assert.Contains("shop: shop.example.com, www.shop.example.com -> https://203.0.113.10:443", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_prints_every_problem_with_its_key_path_and_exits_2()
    {
        var file = Write("""{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10", "Port": 0 }, "Drain": { "QuietPeriod": "1h" } } ] } }""");

        var (code, _, errors) = await RunAsync("validate", "--config", file);

        Assert.Equal(2, code);
        Assert.Contains("DnsBridge:Cutovers:0:Target:Port: must be 1-65535, got 0", errors, StringComparison.Ordinal);
        Assert.Contains("DnsBridge:Cutovers:0:Drain:QuietPeriod: must be a duration hh:mm:ss", errors, StringComparison.Ordinal);
        Assert.Contains("2 problem(s)", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_config_the_message_says_none_was_given_and_what_to_do()
    {
        // A bare `dnsbridge` serves from the environment only; with no DNSBRIDGE__ variables there is no cutover.
        var (code, _, errors) = await RunAsync();

        Assert.Equal(2, code);
        Assert.Contains("no --config given", errors, StringComparison.Ordinal);
        Assert.Contains("DnsBridge:Cutovers: at least one cutover is required", errors, StringComparison.Ordinal);
        Assert.Contains("pass --config FILE", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_verb_is_named_with_the_verbs_there_are()
    {
        var (code, _, errors) = await RunAsync("servce", "--config", "x.json");

        Assert.Equal(2, code);
        Assert.Contains("unknown verb 'servce'; the verbs are serve, validate, check, preflight, demo", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_malformed_json_and_missing_files_with_exit_2()
    {
        var (code, _, errors) = await RunAsync("validate", "--config", Write("{ \"DnsBridge\": "));
        Assert.Equal(2, code);
        Assert.Contains("not valid JSON", errors, StringComparison.Ordinal);

        (code, _, errors) = await RunAsync("validate", "--config", Path.Combine(_dir, "missing.json"));
        Assert.Equal(2, code);
        Assert.Contains("--config: file not found", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("validate", "--config")]
    [InlineData("frobnicate")]
    [InlineData("serve", "--no-such-option")]
    [InlineData("--log-format", "xml")]
    public async Task Usage_errors_exit_2_and_say_what_is_wrong(params string[] args)
    {
        var (code, _, errors) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Contains("error:", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_an_invalid_config_with_exit_2_before_listening()
    {
        var file = Write("""{ "DnsBridge": { "Listen": { "Proxy": "http://127.0.0.1:0", "Admin": "http://127.0.0.1:0" }, "Cutovers": [ { "Name": "x", "Hosts": [ "x.test" ], "Target": { "Address": "nope" } } ] } }""");

        var (code, _, errors) = await RunAsync("serve", "--config", file);

        Assert.Equal(2, code);
        Assert.Contains("DnsBridge:Cutovers:0:Target:Address", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_verbs()
    {
        var (code, output, _) = await RunAsync("--help");

        Assert.Equal(0, code);
        Assert.Contains("serve", output, StringComparison.Ordinal);
        Assert.Contains("validate", output, StringComparison.Ordinal);
    }
}
