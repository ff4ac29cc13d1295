using DnsBridge.Cli;

namespace DnsBridge.FunctionalTests.Demo;

/// <summary>The README's "run the main job" command, end to end (compressed 4x).</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_drains_its_cutover_prints_the_report_and_exits_0()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await DnsBridgeCommand.RunAsync(["demo", "--speed", "4", "--admin-port", "0", "--no-live"], stdout, stderr);

        var output = stdout.ToString();
        Assert.True(code == 0, output + stderr);
        Assert.Contains("status page: http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("state=propagating", output, StringComparison.Ordinal);
        Assert.Contains("state=drained", output, StringComparison.Ordinal);
        Assert.Contains("# Cutover report: shop", output, StringComparison.Ordinal);
        Assert.Contains("| drain_complete |", output, StringComparison.Ordinal);
        Assert.Contains("Alerts received by the demo webhook: 3", output, StringComparison.Ordinal);
        Assert.Contains(", 0 failed.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_command_takes_the_defaults_and_passes_validation()
    {
        // `dnsbridge demo` with nothing else is the README's first command: its defaults must pass the flag checks.
        var parse = DnsBridgeCommand.Build(TextWriter.Null, TextWriter.Null).Parse(["demo"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(1, parse.GetValue<double>("--speed"));
        Assert.Equal(8081, parse.GetValue<int>("--admin-port"));
        Assert.Equal(0, parse.GetValue<int>("--proxy-port"));
    }

    [Theory]
    [InlineData("--speed", "0")]
    [InlineData("--speed", "21")]
    [InlineData("--proxy-port", "-1")]
    [InlineData("--admin-port", "70000")]
    public async Task Bad_flags_exit_2(string flag, string value)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(2, await DnsBridgeCommand.RunAsync(["demo", flag, value], stdout, stderr));
    }
}
