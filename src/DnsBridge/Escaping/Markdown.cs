using System.Buffers;
using System.Text;

namespace DnsBridge.Escaping;

/// <summary>Text that shows as itself in Markdown (CommonMark, GitHub and wiki flavours), whoever wrote it.</summary>
internal static class Markdown
{
    /// <summary>
    /// The punctuation that has a meaning inside a line: code spans, emphasis, links and images, autolinks and HTML,
    /// entities, table cells, strikethrough, math, attributes, mentions and issue references. Left alone, so that the
    /// dates, addresses, versions and "request(s)" that fill a report stay readable: the block markers (<c>- + . =</c>),
    /// which mean something only at the start of a line, where no escaped text ever is, and parentheses, which mean
    /// something only after a bracket, which is escaped.
    /// </summary>
    private static readonly SearchValues<char> Special = SearchValues.Create("\\`*_{}[]<>#!|~&$@^");

    /// <summary>
    /// A table cell or the rest of a list item: one line (a line break would end the row or the item), controls escaped
    /// as <see cref="Untrusted"/> does, then each special character escaped. '&lt;' becomes <c>&amp;lt;</c> rather than
    /// <c>\&lt;</c>, which renderers older than CommonMark do not honour, so a user agent never becomes markup in a wiki
    /// that renders HTML inside Markdown. An underscore between two letters or digits is left as is: it can neither open
    /// nor close emphasis (CommonMark §6.2), and <c>drain_complete</c> or <c>x86_64</c> read better without a backslash.
    /// </summary>
    public static string Inline(string text)
    {
        var line = Untrusted.Escape(text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' '));
        if (line.AsSpan().IndexOfAny(Special) < 0)
        {
            return line;
        }

        var escaped = new StringBuilder(line.Length + 16);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '<')
            {
                escaped.Append("&lt;");
            }
            else
            {
                var intraword = c == '_' && i > 0 && i < line.Length - 1 && char.IsAsciiLetterOrDigit(line[i - 1]) && char.IsAsciiLetterOrDigit(line[i + 1]);
                escaped.Append(Special.Contains(c) && !intraword ? "\\" : "").Append(c);
            }
        }

        return escaped.ToString();
    }
}
