using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Report;

/// <summary>
/// A client that sends terminal escape sequences, a Markdown image and a forged log line, through a real DnsBridge
/// process: the text log, the wave report in every format and <c>dnsbridge report</c> show what it sent, escaped,
/// and run none of it. Then the CLI against an admin API that is not a DnsBridge: nothing it answers reaches the terminal raw.
/// </summary>
public sealed class HostileTextTests : IDisposable
{
    private const string Host = "shop.example.test";

    // Retitles the terminal window, rings the bell, clears the screen, and loads a tracking image where Markdown renders.
    private const string Agent = "\u001b]0;pwned\u0007\u001b[2J![x](http://evil.example/p.png)";
    private const string AgentShown = "\\x1b]0;pwned\\x07\\x1b[2J![x](http://evil.example/p.png)";

    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-hostile").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(args, stdout, stderr, _ => null);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void NoControls(string output) =>
        Assert.DoesNotContain(output, c => char.IsControl(c) && c is not '\n' and not '\r');

    [Fact]
    public async Task A_hostile_agent_and_path_are_shown_escaped_in_the_text_log_and_every_report()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var bridge = await BridgeProcess.StartOneCutoverAsync(_dir, target, Host);

        var response = await LoopbackClient.RawAsync(bridge.ProxyEndPoint,
            $"GET /a%1b%5b2J%0aFAKE%20LOG%20LINE HTTP/1.1\r\nHost: {Host}\r\nUser-Agent: {Agent}\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);

        // The access log (--log-format text): one line, the decoded path's ESC and line break shown, not written.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!bridge.Output.Contains("FAKE LOG LINE", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var log = bridge.Output;
        var line = Assert.Single(log.Split('\n'), l => l.Contains("FAKE LOG LINE", StringComparison.Ordinal));
        Assert.Contains($"GET {Host}/a\\x1b[2J\\x0aFAKE LOG LINE 200", line, StringComparison.Ordinal);
        Assert.Contains($"agent {AgentShown}", line, StringComparison.Ordinal);
        NoControls(log);

        var admin = bridge.AdminUri.ToString();
        var (code, md, _) = await RunAsync("report", "--admin", admin);
        Assert.Equal(0, code);
        NoControls(md);
        Assert.Contains("| \\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[2J\\!\\[x\\](http://evil.example/p.png) |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("![x](", md, StringComparison.Ordinal);

        (code, var html, _) = await RunAsync("report", "--admin", admin, "--format", "html");
        Assert.Equal(0, code);
        NoControls(html);
        Assert.Contains($"<td>{AgentShown}</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);

        (code, var csv, _) = await RunAsync("report", "--admin", admin, "--format", "csv");
        Assert.Equal(0, code);
        NoControls(csv.Replace("\r\n", "\n", StringComparison.Ordinal));
        var records = CsvParser.Parse(csv);
        Assert.Equal(AgentShown, records[1][Array.IndexOf(records[0], "top_user_agent")]);

        using var http = new HttpClient();
        var clients = CsvParser.Parse(await http.GetStringAsync(new Uri(bridge.AdminUri, "api/cutovers/shop/clients.csv")));
        Assert.Equal(AgentShown, clients[1][5]);
    }

    [Fact]
    public async Task Report_and_status_print_no_control_character_an_admin_api_answers()
    {
        const string Escape = "\u001b]0;pwned\u0007\u001b[2J";
        var fail = false;
        await using var fake = await TestUpstream.StartAsync(app =>
        {
            app.Map("/api/report", () => Results.Text($"# report\n\n| {Escape} |\r\n", "text/markdown"));
            app.Map("/api/summary", (HttpContext c) => fail
                ? Results.Text($"{Escape}oops\nsecond line", statusCode: 500)
                : Results.Text(
                    $$"""[{"name":"{{JsonEncodedText.Encode(Escape + "shop")}}","drain":{"state":"{{JsonEncodedText.Encode("drained" + Escape)}}","staleUntil":null},"phase":"switched","propagation":null,"residual":null,"pendingAlerts":0}]""",
                    "application/json"));
        });
        var admin = $"http://{fake.Address}:{fake.Port}/";

        var (code, report, _) = await RunAsync("report", "--admin", admin);
        Assert.Equal(0, code);
        Assert.Equal("# report\n\n| \\x1b]0;pwned\\x07\\x1b[2J |\r\n", report);

        (code, var status, _) = await RunAsync("status", "--admin", admin);
        Assert.Equal(0, code);
        NoControls(status);
        Assert.Contains("\\x1b]0;pwned\\x07\\x1b[2Jshop  drained\\x1b]0;pwned\\x07\\x1b[2J", status, StringComparison.Ordinal);

        fail = true;
        (code, _, var errors) = await RunAsync("status", "--admin", admin);
        Assert.Equal(1, code);
        NoControls(errors);
        Assert.Contains("answered 500 Internal Server Error: \\x1b]0;pwned\\x07\\x1b[2Joops", errors, StringComparison.Ordinal);
    }
}
