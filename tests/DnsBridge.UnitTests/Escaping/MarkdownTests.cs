using DnsBridge.Escaping;

namespace DnsBridge.UnitTests.Escaping;

/// <summary>A report cell or fact shows what was sent as text: no markup, image, link, code span or extra cell.</summary>
public sealed class MarkdownTests
{
    [Theory]
    [InlineData("curl/8.5.0", "curl/8.5.0")]
    [InlineData("2026-11-24 12:00:00, 198.51.100.1 + more: 3 request(s).", "2026-11-24 12:00:00, 198.51.100.1 + more: 3 request(s).")]
    [InlineData("drain_complete x86_64 _em_ a__b_", "drain_complete x86_64 \\_em\\_ a\\_\\_b\\_")]
    [InlineData("![x](http://evil.example/p.png)", "\\!\\[x\\](http://evil.example/p.png)")]
    [InlineData("a | b", "a \\| b")]
    [InlineData("<script>alert(1)</script>", "&lt;script\\>alert(1)&lt;/script\\>")]
    [InlineData("`code` *em* x*y*z _em_ ~~s~~ $x$ @all #1 &amp; {a} ^ \\", "\\`code\\` \\*em\\* x\\*y\\*z \\_em\\_ \\~\\~s\\~\\~ \\$x\\$ \\@all \\#1 \\&amp; \\{a\\} \\^ \\\\")]
    [InlineData("two\r\nlines\nand\rthree", "two lines and three")]
    public void Punctuation_with_a_meaning_inside_a_line_is_escaped(string sent, string markdown) =>
        Assert.Equal(markdown, Markdown.Inline(sent));

    [Fact]
    public void Terminal_escapes_are_shown_and_their_backslash_is_kept_by_the_renderer()
    {
        // Rendered, "\\x1b" shows as \x1b: the reader sees what the client sent, the terminal running `report` sees no ESC.
        Assert.Equal("\\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[2J\\!\\[x\\](http://evil.example/p.png)",
            Markdown.Inline("\u001b]0;pwned\u0007\u001b[2J![x](http://evil.example/p.png)"));
    }
}
