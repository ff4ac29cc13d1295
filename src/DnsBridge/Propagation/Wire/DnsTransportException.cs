namespace DnsBridge.Propagation.Wire;

/// <summary>A question that got no usable answer from the transport, with the reason (one of <see cref="DnsFailureReason"/>).</summary>
internal sealed class DnsTransportException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Reason { get; } = reason;
}
