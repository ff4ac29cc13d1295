using Microsoft.Extensions.Configuration.Json;

namespace DnsBridge.Configuration;

/// <summary>
/// The JSON file's provider with its children indexed. The framework's provider answers each <c>GetChildren</c> by
/// scanning every key of the file, and reading a config visits every section, so a wave of 500 cutovers took
/// seconds to read (quadratic in the file's size) before the proxy could listen. Here the keys are indexed by parent
/// once per load: a section's children cost what it has, not what the file has.
/// </summary>
internal sealed class IndexedJsonConfigurationProvider(JsonConfigurationSource source) : JsonConfigurationProvider(source)
{
    private static readonly IReadOnlyCollection<string> None = [];

    // The index belongs to one Data dictionary: a reload (or a missing file on reload) replaces the dictionary,
    // and the next question rebuilds the index from the new one.
    private volatile Index? _index;

    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        ArgumentNullException.ThrowIfNull(earlierKeys);
        var index = _index;
        if (index is null || !ReferenceEquals(index.Data, Data))
        {
            _index = index = new Index(Data);
        }

        IReadOnlyCollection<string> children = parentPath is null ? index.Root : index.Children.TryGetValue(parentPath, out var set) ? set : None;
        var results = new List<string>(children);
        results.AddRange(earlierKeys);
        results.Sort(ConfigurationKeyComparer.Instance);
        return results;
    }

    public override void Set(string key, string? value)
    {
        base.Set(key, value);
        _index = null;
    }

    private sealed class Index
    {
        public Index(IDictionary<string, string?> data)
        {
            Data = data;
            foreach (var key in data.Keys)
            {
                var start = 0;
                string? parent = null;
                while (true)
                {
                    var end = key.IndexOf(ConfigurationPath.KeyDelimiter, start, StringComparison.Ordinal);
                    var segment = end < 0 ? key[start..] : key[start..end];
                    if (parent is null)
                    {
                        Root.Add(segment);
                    }
                    else
                    {
                        if (!Children.TryGetValue(parent, out var set))
                        {
                            Children[parent] = set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                        }

                        set.Add(segment);
                    }

                    if (end < 0)
                    {
                        break;
                    }

                    parent = key[..end];
                    start = end + 1;
                }
            }
        }

        public IDictionary<string, string?> Data { get; }

        public HashSet<string> Root { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, HashSet<string>> Children { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
