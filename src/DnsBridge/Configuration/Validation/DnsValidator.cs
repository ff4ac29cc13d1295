namespace DnsBridge.Configuration.Validation;

/// <summary>What a cutover's DNS records should answer once switched; CNAMEs come back normalised.</summary>
internal static class DnsValidator
{
    /// <remarks>Without any expectation the records are expected to answer the target address.</remarks>
    public static DnsExpectationConfig Validate(DnsExpectationConfig dns, string path, string targetAddress, Action<string, string> error)
    {
        for (var t = 0; t < dns.Types.Count; t++)
        {
            if (dns.Types[t] is not ("A" or "AAAA"))
            {
                error($"{path}:{nameof(DnsExpectationConfig.Types)}:{t}", $"must be A or AAAA, got '{dns.Types[t]}'");
            }
        }

        AddressListValidator.Addresses(dns.Expect, $"{path}:{nameof(DnsExpectationConfig.Expect)}", error);
        var expectCnames = new List<string>();
        for (var n = 0; n < dns.ExpectCname.Count; n++)
        {
            if (ConfigParsers.TryNormalizeHostName(dns.ExpectCname[n], out var cname, out var why))
            {
                expectCnames.Add(cname);
            }
            else
            {
                error($"{path}:{nameof(DnsExpectationConfig.ExpectCname)}:{n}", why);
            }
        }

        if (dns.Expect.Count == 0 && dns.ExpectCname.Count == 0)
        {
            dns = dns with { Expect = [targetAddress] };
        }

        return dns with { ExpectCname = expectCnames };
    }
}
