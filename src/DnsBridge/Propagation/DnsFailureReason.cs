namespace DnsBridge.Propagation;

/// <summary>
/// Why a DNS question got no usable answer. The values are contract: they are the <c>reason</c> label of
/// dnsbridge_dns_query_failures_total and the <c>error</c> of resolver rows in the API and <c>check --json</c>.
/// </summary>
internal static class DnsFailureReason
{
    public const string Timeout = "timeout";
    public const string Servfail = "servfail";
    public const string Refused = "refused";
    public const string Truncated = "truncated";
    public const string Malformed = "malformed";
    public const string Network = "network";
    public const string OtherRcode = "other_rcode";

    public static readonly IReadOnlyList<string> All = [Timeout, Servfail, Refused, Truncated, Malformed, Network, OtherRcode];
}
