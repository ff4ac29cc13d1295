namespace DnsBridge.Configuration;

/// <summary>
/// The JSON field paths of <c>Mirror.IgnoreJsonPaths</c> and of the comparison's findings: <c>$</c>, then
/// <c>.name</c>, <c>.*</c> (any member), <c>[*]</c> (any element) or <c>[3]</c>. Parsed to segments where
/// <c>*</c> matches anything and array elements are <c>[n]</c> or <c>[*]</c>.
/// </summary>
internal static class JsonFieldPath
{
    public const string AnyMember = "*";
    public const string AnyElement = "[*]";

    public static bool TryParse(string text, out string[] segments, out string why)
    {
        segments = [];
        why = "";
        var t = text.AsSpan().Trim();
        if (t.IsEmpty || t[0] != '$')
        {
            why = $"must start with '$' (for example $.meta.requestId), got '{text}'";
            return false;
        }

        var list = new List<string>();
        var i = 1;
        while (i < t.Length)
        {
            if (t[i] == '.')
            {
                var end = i + 1;
                while (end < t.Length && t[end] != '.' && t[end] != '[')
                {
                    end++;
                }

                if (end == i + 1)
                {
                    why = $"has an empty member name at position {i + 1}: '{text}'";
                    return false;
                }

                list.Add(t[(i + 1)..end].ToString());
                i = end;
            }
            else if (t[i] == '[')
            {
                var close = t[i..].IndexOf(']');
                if (close < 0)
                {
                    why = $"has an unclosed '[': '{text}'";
                    return false;
                }

                var inner = t[(i + 1)..(i + close)];
                if (inner is "*")
                {
                    list.Add(AnyElement);
                }
                else if (int.TryParse(inner, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    list.Add($"[{index}]");
                }
                else
                {
                    why = $"'[{inner}]' must be [*] or an index such as [0]: '{text}'";
                    return false;
                }

                i += close + 1;
            }
            else
            {
                why = $"expected '.' or '[' at position {i + 1}: '{text}'";
                return false;
            }
        }

        segments = [.. list];
        return true;
    }
}
