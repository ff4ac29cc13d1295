using System.Text;
using DnsBridge.Escaping;

namespace DnsBridge.Admin;

/// <summary>RFC 4180 CSV: CRLF line ends, a field quoted when it holds a comma or a quote (line breaks are escaped), quotes doubled.</summary>
internal static class Csv
{
    /// <summary>
    /// One record. User agents come from anyone on the internet: control characters are escaped (<see cref="Untrusted"/>:
    /// <c>dnsbridge report --format csv</c> prints to a terminal), which also turns a leading tab or carriage return
    /// into text, and a field starting with <c>= + - @</c> gets a leading apostrophe, as a spreadsheet would otherwise
    /// run it as a formula (OWASP "CSV injection").
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
            var value = Untrusted.Escape(field);
            if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
            {
                value = "'" + value;
            }

            csv.Append(value.AsSpan().IndexOfAny(",\"") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value);
        }

        return csv.Append("\r\n");
    }

    /// <summary>ISO 8601 in UTC to the second (<c>2026-11-24T12:00:00Z</c>), empty when there is no time.</summary>
    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "";
}
