using DnsBridge.Configuration;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.Propagation;

/// <summary>How one question travels: the resolver's address and transport, the client subnet to ask "as if from", the DoH proxy and extra CA.</summary>
internal sealed record ResolverQuestion(ResolverAddress Via, ClientSubnet? Subnet = null, string? HttpProxy = null, string? CaFile = null);
