using DnsBridge.Mirror;

namespace DnsBridge.UnitTests.Mirror;

public sealed class RedactionTests
{
    [Theory]
    [InlineData("Cookie")]
    [InlineData("set-cookie")]
    [InlineData("Authorization")]
    [InlineData("Proxy-Authorization")]
    public void Credentials_and_cookies_are_never_shown(string header)
    {
        Assert.Equal(Redaction.Redacted, Redaction.Header(header, "session=secret"));
    }

    [Fact]
    public void Other_headers_are_shown_capped()
    {
        Assert.Equal("text/html", Redaction.Header("Accept", "text/html"));
        Assert.True(Redaction.Header("User-Agent", new string('a', 1000)).Length < 300);
    }

    [Fact]
    public void Query_values_are_hidden_names_kept()
    {
        Assert.Equal("/search?q=…&page=…&flag", Redaction.PathAndQuery("/search", "?q=secret&page=2&flag"));
        Assert.Equal("/x", Redaction.PathAndQuery("/x", null));
    }
}
