using System.Net;

namespace DnsBridge.Connections;

/// <summary>
/// What routing decided for a new connection: a <see cref="Route"/> (relay it), a <see cref="Rejection"/> (count it
/// and close), or neither (close it without counting: a health check's empty connection, a port forward removed
/// since the accept). <see cref="Source"/> and <see cref="Reached"/> are the PROXY header's when one was accepted.
/// </summary>
internal readonly record struct ConnectionRouting(IPEndPoint Source, IPEndPoint Reached, ConnectionRoute? Route = null, int TargetPort = 0, ConnectionRejection? Rejection = null)
{
    /// <summary>The client's address as counted and nudged (an IPv4 client of a dual-mode listener as IPv4).</summary>
    public IPAddress ClientAddress => Source.Address.IsIPv4MappedToIPv6 ? Source.Address.MapToIPv4() : Source.Address;
}
