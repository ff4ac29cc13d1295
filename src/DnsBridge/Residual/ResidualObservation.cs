using System.Net;

namespace DnsBridge.Residual;

/// <summary>What arrived at the source for a cutover: a request (HTTP) or a connection (relayed bytes).</summary>
internal enum ResidualKind
{
    Request,
    Connection,
}

/// <summary>
/// One arrival at the source, as the request path saw it, protocol-neutral: the client (after trusted proxies),
/// and for requests the path and user agent that the exclusion rules look at. Connections have neither.
/// </summary>
internal readonly record struct ResidualObservation(ResidualKind Kind, IPAddress? Client, string? Path = null, string? UserAgent = null)
{
    public static ResidualObservation Request(string path, string? userAgent, IPAddress? client) => new(ResidualKind.Request, client, path, userAgent);

    public static ResidualObservation Connection(IPAddress? client) => new(ResidualKind.Connection, client);
}
