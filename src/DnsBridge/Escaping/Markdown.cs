using System.Buffers;
using System.Text;

namespace DnsBridge.Escaping;

/// <summary>Text that shows as itself in Markdown (CommonMark, GitHub and wiki flavours), whoever wrote it.</summary>
public static class Markdown
{
    /// <summary>
    /// The punctuation that has a meaning inside a line: code spans, emphasis, links and images, autolinks and HTML,
    /// entities, table cells, strikethrough, math, mentions and issue references. The block markers (<c>- + . = #</c>
    /// at the start of a line) are left alone where they cannot start one: escaping every dot and dash would bury the
    /// dates, addresses and versions that fill a report under backslashes.
    /// </summary>
    private static readonly SearchValues<char> Special = SearchValues.Create("\\`*_{}[]()<>#!|~&$@^");

    /// <summary>
    /// A table cell or the rest of a list item: one line (a line break would end the row or the item), controls escaped
    /// as <see cref="Untrusted"/> does, then each special character escaped. '&lt;' becomes <c>&amp;lt;</c> rather than
    /// <c>\&lt;</c>, which renderers older than CommonMark do not honour, so a user agent never becomes markup in a wiki
    /// that renders HTML inside Markdown.
    /// </summary>
    public static string Inline(string text)
    {
        var line = Untrusted.Escape(text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' '));
        if (line.AsSpan().IndexOfAny(Special) < 0)
        {
            return line;
        }

        var escaped = new StringBuilder(line.Length + 16);
        foreach (var c in line)
        {
            if (c == '<')
            {
                escaped.Append("&lt;");
            }
            else
            {
                escaped.Append(Special.Contains(c) ? "\\" : "").Append(c);
            }
        }

        return escaped.ToString();
    }
}
