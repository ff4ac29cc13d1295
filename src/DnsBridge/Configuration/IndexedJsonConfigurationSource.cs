using Microsoft.Extensions.Configuration.Json;

namespace DnsBridge.Configuration;

/// <summary>A JSON file source whose provider indexes its keys (<see cref="IndexedJsonConfigurationProvider"/>).</summary>
internal sealed class IndexedJsonConfigurationSource : JsonConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new IndexedJsonConfigurationProvider(this);
    }
}
