using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Report;

/// <summary>
/// <c>dnsbridge report</c> and <c>dnsbridge status</c> run in-process against a real DnsBridge over real HTTP; the
/// token comes from an injected environment, so nothing touches the process environment.
/// </summary>
public sealed class ReportCliTests : IAsyncLifetime
{
    private WaveBridge _wave = null!;

    public async Task InitializeAsync() => _wave = await WaveBridge.StartAsync();

    public async Task DisposeAsync() => await _wave.DisposeAsync();

    private string Admin => _wave.Bridge.AdminUri.ToString();

    private static async Task<(int Code, string Out, string Err)> RunAsync(string? token, string[] args, CancellationToken ct = default)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(args, stdout, stderr, name => name == AdminApi.TokenVariable ? token : null, ct);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Report_prints_the_wave_report_with_the_token_from_the_environment()
    {
        var (code, output, errors) = await RunAsync(WaveBridge.Token, ["report", "--admin", Admin]);

        Assert.Equal(0, code);
        Assert.Equal("", errors);
        Assert.StartsWith("# DnsBridge wave report", output, StringComparison.Ordinal);
        Assert.Contains("| shop | drained | DRAINED since", output, StringComparison.Ordinal);
        Assert.Contains("| blog | draining | Not drained", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_as_csv_and_one_cutover_as_html()
    {
        var (code, csv, _) = await RunAsync(WaveBridge.Token, ["report", "--admin", Admin.TrimEnd('/'), "--format", "csv"]);
        Assert.Equal(0, code);
        Assert.Equal(4, CsvParser.Parse(csv).Count);

        (code, var html, _) = await RunAsync(WaveBridge.Token, ["report", "--admin", Admin, "--cutover", "shop", "--format", "html"]);
        Assert.Equal(0, code);
        Assert.Contains("<h1>Cutover report: shop</h1>", html, StringComparison.Ordinal);

        (code, var md, _) = await RunAsync(WaveBridge.Token, ["report", "--admin", Admin, "--cutover", "blog"]);
        Assert.Equal(0, code);
        Assert.StartsWith("# Cutover report: blog", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_token_or_for_an_unknown_cutover_the_http_status_is_printed_and_the_exit_is_1()
    {
        var (code, output, errors) = await RunAsync(null, ["report", "--admin", Admin]);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains($"{Admin}api/report?format=md answered 401 Unauthorized (the listener wants a token: set DNSBRIDGE_ADMIN_TOKEN)", errors, StringComparison.Ordinal);

        (code, _, errors) = await RunAsync("wrong-token-wrong-token", ["status", "--admin", Admin]);
        Assert.Equal(1, code);
        Assert.Contains("answered 401 Unauthorized (check DNSBRIDGE_ADMIN_TOKEN", errors, StringComparison.Ordinal);

        (code, _, errors) = await RunAsync(WaveBridge.Token, ["report", "--admin", Admin, "--cutover", "nope"]);
        Assert.Equal(1, code);
        Assert.Contains("answered 404 Not Found: {\"error\":\"no cutover named 'nope'\"}", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("report")]
    [InlineData("status")]
    public async Task An_unreachable_admin_url_is_named_and_the_exit_is_1(string verb)
    {
        var url = $"http://127.0.0.1:{ClosedPort()}/";

        var (code, _, errors) = await RunAsync(WaveBridge.Token, [verb, "--admin", url]);

        Assert.Equal(1, code);
        Assert.Contains($"error: cannot reach the admin API at {url}api/", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("report", "--format", "pdf")]
    [InlineData("report", "--cutover", "shop", "--format", "csv")]
    [InlineData("report", "--admin", "ftp://example.test")]
    [InlineData("report")]
    [InlineData("status")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        string[] withAdmin = args.Contains("--admin") || args.Length == 1 ? args : [.. args, "--admin", "http://127.0.0.1:9/"];

        var (code, _, errors) = await RunAsync(WaveBridge.Token, withAdmin);

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_prints_one_row_per_cutover_as_plain_text_when_redirected()
    {
        var (code, output, errors) = await RunAsync(WaveBridge.Token, ["status", "--admin", Admin]);

        Assert.Equal(0, code);
        Assert.Equal("", errors);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("3 cutover(s), 1 drained, 1 draining, 1 pending", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^cutover\s+state\s+phase\s+propagation\s+stale caches expire\s+residual/min\s+residual 1 h\s+last residual request\s+pending alerts$", lines[1]);
        Assert.Matches(@"^shop\s+drained\s+switched\s+(-|\d+%)\s+expired\s+\d+\s+\d+\s+2026-11-24 12:00:00 \(.+ ago\)\s+0$", lines[2]);
        Assert.Matches(@"^blog\s+draining\s+switched\s+(-|\d+%)\s+expired\s+\d+\s+\d+\s+2026-11-24 12:1\d:\d\d \(.+ ago\)\s+0$", lines[3]);
        Assert.Matches(@"^api\s+pending\s+switched\s+-\s+-\s+0\s+0\s+-\s+0$", lines[4]);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_watch_refreshes_until_its_count_or_until_cancelled()
    {
        var (code, output, _) = await RunAsync(WaveBridge.Token, ["status", "--admin", Admin, "--watch", "--watch-count", "2"]);
        Assert.Equal(0, code);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains("3 cutover(s)", StringComparison.Ordinal)));

        // Ctrl-C is a cancellation of the invocation: the loop stops between refreshes and exits 0.
        using var ctrlC = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        (code, output, _) = await RunAsync(WaveBridge.Token, ["status", "--admin", Admin, "--watch"], ctrlC.Token);
        Assert.Equal(0, code);
        Assert.InRange(output.Split('\n').Count(l => l.Contains("3 cutover(s)", StringComparison.Ordinal)), 1, 3);
    }

    private static int ClosedPort() => Ports.Free();
}
