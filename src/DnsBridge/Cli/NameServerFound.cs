namespace DnsBridge.Cli;

/// <summary>A name server of the zone, as the NS lookup found it, with its addresses.</summary>
internal sealed record NameServerFound(string Name, IReadOnlyList<string> Addresses);
