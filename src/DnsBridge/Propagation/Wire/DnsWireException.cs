namespace DnsBridge.Propagation.Wire;

/// <summary>A response that is not a well-formed DNS message (classified as <c>malformed</c>).</summary>
internal sealed class DnsWireException(string message) : Exception(message);
