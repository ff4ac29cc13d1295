using System.Globalization;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>Reads values out of the Prometheus text format.</summary>
internal static class MetricsText
{
    /// <summary>The sum of the series of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; NaN if none.</summary>
    public static double Value(string text, string name, params (string Label, string Value)[] labels)
    {
        double? sum = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[name.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue;
            }

            if (labels.Any(l => !rest.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                continue;
            }

            var value = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            sum = (sum ?? 0) + value;
        }

        return sum ?? double.NaN;
    }
}
