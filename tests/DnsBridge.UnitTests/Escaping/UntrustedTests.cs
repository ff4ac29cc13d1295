using DnsBridge.Escaping;

namespace DnsBridge.UnitTests.Escaping;

/// <summary>What a client or a DNS server sent, as a terminal or a text log shows it: visible, never executed.</summary>
public sealed class UntrustedTests
{
    [Theory]
    [InlineData("curl/8.5.0", "curl/8.5.0")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) é 日本 \\x1b", "Mozilla/5.0 (X11; Linux x86_64) é 日本 \\x1b")]
    [InlineData("\u001b]0;pwned\u0007\u001b[2J", "\\x1b]0;pwned\\x07\\x1b[2J")]
    [InlineData("a\nFAKE LOG LINE\r\tb", "a\\x0aFAKE LOG LINE\\x0d\\x09b")]
    [InlineData("\u0000del\u007f c1\u009b31m", "\\x00del\\x7f c1\\x9b31m")]
    [InlineData("evil\u202Etxt.exe \u2066x\u2069 \u200E\u200F\u061C \u2028\u2029", "evil\\u{202E}txt.exe \\u{2066}x\\u{2069} \\u{200E}\\u{200F}\\u{061C} \\u{2028}\\u{2029}")]
    [InlineData(null, "")]
    public void Control_characters_and_bidi_overrides_become_visible_escapes(string? sent, string shown) =>
        Assert.Equal(shown, Untrusted.Escape(sent));

    [Fact]
    public void Text_without_anything_to_escape_is_returned_as_is()
    {
        const string Agent = "Java/21.0.1";
        Assert.Same(Agent, Untrusted.Escape(Agent));
    }

    [Fact]
    public void A_document_keeps_its_lines_and_loses_its_escape_sequences()
    {
        Assert.Equal("# report\n| a \\x1b[2J |\r\nlast\\x0d line\\x07", Untrusted.EscapeLines("# report\n| a \u001b[2J |\r\nlast\r line\u0007"));
        Assert.Equal("a,b\r\nc,d\r\n", Untrusted.EscapeLines("a,b\r\nc,d\r\n"));
    }
}
