using DnsBridge.Hosting;
using Serilog.Events;
using Serilog.Parsing;

namespace DnsBridge.UnitTests.Hosting;

/// <summary><c>--log-format text</c>: one line per event whatever a client put in its path or user agent.</summary>
public sealed class TextLogFormatterTests
{
    private static string Format(Exception? exception, params (string Name, string Value)[] properties)
    {
        var template = new MessageTemplateParser().Parse(string.Join(' ', properties.Select(p => $"{{{p.Name}}}")));
        var logEvent = new LogEvent(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), LogEventLevel.Information, exception, template,
            [new LogEventProperty("SourceContext", new ScalarValue("DnsBridge.AccessLog")), .. properties.Select(p => new LogEventProperty(p.Name, new ScalarValue(p.Value)))]);
        using var output = new StringWriter();
        new TextLogFormatter().Format(logEvent, output);
        return output.ToString();
    }

    [Fact]
    public void A_hostile_path_and_agent_stay_on_their_line_with_their_controls_shown()
    {
        var line = Format(null, ("Path", "/a\u001b[2J\nFAKE LOG LINE"), ("UserAgent", "\u001b]0;pwned\u0007 \u202Egnp.exe"));

        Assert.Equal(":00.000 INF DnsBridge.AccessLog: /a\\x1b[2J\\x0aFAKE LOG LINE \\x1b]0;pwned\\x07 \\u{202E}gnp.exe" + Environment.NewLine, line[5..]);
    }

    [Fact]
    public void An_exception_keeps_its_lines_indented_under_the_event_and_escaped()
    {
        var text = Format(new InvalidOperationException("bad\nFAKE\u001b[2J"), ("Cutover", "shop"));
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.EndsWith("INF DnsBridge.AccessLog: shop", lines[0], StringComparison.Ordinal);
        Assert.Equal("  System.InvalidOperationException: bad", lines[1]);
        Assert.Equal("  FAKE\\x1b[2J", lines[2]);
        Assert.DoesNotContain('\u001b', text);
    }
}
