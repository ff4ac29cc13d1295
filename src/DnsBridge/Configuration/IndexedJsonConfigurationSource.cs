using Microsoft.Extensions.Configuration.Json;

namespace DnsBridge.Configuration;

/// <summary>A JSON file source whose provider indexes its keys (<see cref="IndexedJsonConfigurationProvider"/>).</summary>
public sealed class IndexedJsonConfigurationSource : JsonConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new IndexedJsonConfigurationProvider(this);
    }
}
