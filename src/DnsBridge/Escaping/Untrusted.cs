using System.Buffers;
using System.Globalization;
using System.Text;

namespace DnsBridge.Escaping;

/// <summary>
/// Text that came from outside (user agents, paths, forwarded client addresses, DNS names and texts, other
/// instances' rows) made safe for a terminal or a text log: control characters would run as terminal escape
/// sequences (retitle the window, clear the screen, recolour) or forge log lines, and bidi overrides would show text
/// in another order than it is. Each such character becomes a visible escape instead: C0, DEL and C1 as <c>\xNN</c>,
/// bidi controls and line/paragraph separators as <c>\u{NNNN}</c>. A backslash is left as is: the escapes are for
/// people to see what was sent, not to be decoded back.
/// </summary>
internal static class Untrusted
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F"
        + "\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F"
        + "\u061C\u200E\u200F\u2028\u2029\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069");

    /// <summary>One line: every control character escaped, line breaks included.</summary>
    public static string Escape(string? text)
    {
        if (text is null)
        {
            return "";
        }

        var first = text.AsSpan().IndexOfAny(Unsafe);
        return first < 0 ? text : Append(new StringBuilder(text.Length + 16), text, first).ToString();
    }

    /// <summary>
    /// A whole document (a report as served, a multi-line message): its lines stay lines (<c>\n</c>, and <c>\r</c>
    /// right before one), every other control character is escaped.
    /// </summary>
    public static string EscapeLines(string text)
    {
        if (text.AsSpan().IndexOfAny(Unsafe) < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                var end = i > start && text[i - 1] == '\r' ? i - 1 : i;
                escaped.Append(Escape(text[start..end])).Append(text, end, i + 1 - end);
                start = i + 1;
            }
        }

        return escaped.Append(Escape(text[start..])).ToString();
    }

    private static StringBuilder Append(StringBuilder escaped, string text, int first)
    {
        escaped.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!Unsafe.Contains(c))
            {
                escaped.Append(c);
            }
            else if (c <= '\u009F')
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:X4}}}");
            }
        }

        return escaped;
    }
}
