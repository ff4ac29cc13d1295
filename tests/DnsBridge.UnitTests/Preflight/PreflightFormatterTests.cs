using DnsBridge.Preflight;

namespace DnsBridge.UnitTests.Preflight;

/// <summary>The checklist quotes what servers said (certificate names, DNS answers, errors): shown, never run or rendered.</summary>
public sealed class PreflightFormatterTests
{
    private static readonly PreflightReport Hostile = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero),
    [
        new PreflightResult("shop", "dns", "authoritative agreement", "ns1.\u001b[31mevil.test", PreflightStatus.Fail,
            "answers \u001b]0;pwned\u0007 ![x](http://evil.example/p.png) | extra cell\nFAKE ROW", "ask \u202Eevil"),
    ]);

    [Fact]
    public void The_terminal_table_shows_control_characters_escaped_and_keeps_one_row()
    {
        var text = PreflightFormatter.ToText(Hostile);

        Assert.DoesNotContain(text, c => char.IsControl(c) && c != '\n');
        Assert.Contains("ns1.\\x1b[31mevil.test  answers \\x1b]0;pwned\\x07 ![x](http://evil.example/p.png) | extra cell\\x0aFAKE ROW", text, StringComparison.Ordinal);
        Assert.Contains("-> ask \\u{202E}evil", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nFAKE ROW", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_markdown_row_keeps_its_six_cells_and_renders_no_image()
    {
        var row = Assert.Single(PreflightFormatter.ToMarkdown(Hostile).Split('\n'), l => l.StartsWith("| FAIL", StringComparison.Ordinal));

        Assert.Equal(
            "| FAIL | shop | dns: authoritative agreement | ns1.\\\\x1b\\[31mevil.test | answers \\\\x1b\\]0;pwned\\\\x07 \\!\\[x\\](http://evil.example/p.png) \\| extra cell FAKE ROW | ask \\\\u\\{202E\\}evil |",
            row.TrimEnd('\r'));
    }
}
