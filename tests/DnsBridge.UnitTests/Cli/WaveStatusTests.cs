using DnsBridge.Cli;

namespace DnsBridge.UnitTests.Cli;

public sealed class WaveStatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Rows_read_share_countdown_rates_and_alerts_from_the_summary_json()
    {
        const string Json = """
            [{ "name": "shop", "hosts": ["shop.example.com"], "phase": "switched",
               "drain": { "state": "propagating", "since": "2026-11-24T11:50:00Z", "staleUntil": "2026-11-24T12:04:10Z" },
               "propagation": { "at": "2026-11-24T11:59:58Z", "ratio": 0.8751, "target": 7, "answering": 8, "resolvers": 8, "complete": false, "etaSeconds": 252 },
               "residual": { "total": 40, "lastRequestAt": "2026-11-24T11:59:30Z", "perMinute1m": 4, "perMinute15m": 0.47, "perMinute1h": 0.12, "lastHour": 7 },
               "pendingAlerts": 2, "failedAlerts": 0 },
             { "name": "blog", "hosts": ["blog.example.com"], "phase": "switched", "drain": { "state": "pending", "since": "2026-11-24T11:00:00Z", "staleUntil": null },
               "propagation": null, "residual": null, "pendingAlerts": 0, "failedAlerts": 0 }]
            """;

        var wave = WaveStatus.Parse(Json, Now);

        Assert.Equal(["shop", "propagating", "switched", "88%", "in 4m 10s", "4", "7", "2026-11-24 11:59:30 (30s ago)", "2"], wave.Rows[0]);
        Assert.Equal(["blog", "pending", "switched", "-", "-", "0", "0", "-", "0"], wave.Rows[1]);
        Assert.Equal("http://a:8081/ at 2026-11-24 12:00:00 UTC: 2 cutover(s), 1 pending, 1 propagating", wave.Summary(new Uri("http://a:8081/"), Now));
    }

    [Fact]
    public void Plain_text_aligns_columns_and_the_table_escapes_markup()
    {
        var wave = new WaveStatus([["[bold]x", "drained", "switched", "100%", "expired", "0", "0", "-", "0"]]);

        var lines = wave.ToText().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines[0].IndexOf("state", StringComparison.Ordinal), lines[1].IndexOf("drained", StringComparison.Ordinal));

        using var output = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(output), Ansi = Spectre.Console.AnsiSupport.No });
        // Wide enough for the nine columns: a narrow console wraps cells, splitting the text looked for.
        console.Profile.Width = 200;
        console.Write(wave.ToTable());
        Assert.Contains("[bold]x", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("drained", output.ToString(), StringComparison.Ordinal);
    }
}
