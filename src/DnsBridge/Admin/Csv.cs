using System.Text;

namespace DnsBridge.Admin;

/// <summary>RFC 4180 CSV: CRLF line ends, a field quoted when it holds a comma, a quote or a line break, quotes doubled.</summary>
public static class Csv
{
    /// <summary>
    /// One record. A field starting with <c>= + - @</c>, a tab or a carriage return gets a leading apostrophe: user agents
    /// come from anyone on the internet, and a spreadsheet would otherwise run them as formulas (OWASP "CSV injection").
    /// </summary>
    public static StringBuilder AppendRecord(this StringBuilder csv, params IEnumerable<string?> fields)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first)
            {
                csv.Append(',');
            }

            first = false;
            var value = field ?? "";
            if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            {
                value = "'" + value;
            }

            csv.Append(value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value);
        }

        return csv.Append("\r\n");
    }

    /// <summary>ISO 8601 in UTC to the second (<c>2026-11-24T12:00:00Z</c>), empty when there is no time.</summary>
    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "";
}
