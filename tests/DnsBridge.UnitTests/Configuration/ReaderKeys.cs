using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>
/// Every key the configuration reader accepts, asked of the reader itself: an unknown key in a section is answered
/// with "unknown key (known here: ...)", a key inside a list with "this setting is a list", a key inside a value
/// with "must be a single value". So the docs and the schema are checked against what the reader does, not against
/// a copy of its lists. Paths are written as the docs write them: <c>Cutovers:N:Target:Address</c>.
/// </summary>
internal static class ReaderKeys
{
    private const string Probe = "Zzzzprobe";

    public static IReadOnlyList<string> All() => [.. Walk("")];

    private static IEnumerable<string> Walk(string section)
    {
        foreach (var key in KnownIn(section) ?? [])
        {
            var path = section.Length == 0 ? key : $"{section}:{key}";
            yield return path;
            if (KnownIn(path) is not null)
            {
                foreach (var child in Walk(path))
                {
                    yield return child;
                }
            }
            else if (KnownIn($"{path}:N") is not null)
            {
                foreach (var child in Walk($"{path}:N"))
                {
                    yield return child;
                }
            }
        }
    }

    /// <summary>The keys the reader knows in this section; null when it is not a section (a value, a list, a map).</summary>
    private static string[]? KnownIn(string section)
    {
        var probe = $"{DnsBridgeConfig.SectionName}:{(section.Length == 0 ? "" : section.Replace(":N", ":0", StringComparison.Ordinal) + ":")}{Probe}";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(probe, "x")]).Build();
        var (_, errors) = ConfigReader.Read(configuration);
        const string Marker = "unknown key (known here: ";
        return errors.FirstOrDefault(e => e.Path == probe && e.Message.StartsWith(Marker, StringComparison.Ordinal)) is { } error
            ? error.Message[Marker.Length..^1].Split(", ")
            : null;
    }
}
