using System.Text;
using DnsBridge.Admin;

namespace DnsBridge.UnitTests.Admin;

public sealed class CsvTests
{
    [Fact]
    public void Fields_with_commas_or_quotes_are_quoted_and_records_end_in_crlf()
    {
        var csv = new StringBuilder().AppendRecord("plain", "a,b", "say \"hi\"", null, "").ToString();

        Assert.Equal("plain,\"a,b\",\"say \"\"hi\"\"\",,\r\n", csv);
    }

    [Fact]
    public void Control_characters_are_escaped_so_a_field_forges_no_record_and_no_terminal_sequence()
    {
        var csv = new StringBuilder().AppendRecord("two\r\nlines", "\u001b]0;pwned\u0007\u001b[2J", "\t=1+1").ToString();

        Assert.Equal("two\\x0d\\x0alines,\\x1b]0;pwned\\x07\\x1b[2J,\\x09=1+1\r\n", csv);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("curl/8.5.0", "curl/8.5.0")]
    public void Formula_like_fields_are_defused(string field, string expected) =>
        Assert.Equal(expected + "\r\n", new StringBuilder().AppendRecord(field).ToString());

    [Fact]
    public void Times_are_iso_8601_utc_to_the_second_and_empty_when_absent()
    {
        Assert.Equal("2026-11-24T11:00:00Z", Csv.Time(new DateTimeOffset(2026, 11, 24, 12, 0, 0, 500, TimeSpan.FromHours(1))));
        Assert.Equal("", Csv.Time(null));
    }
}
