using System.Net;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.UnitTests.Propagation;

/// <summary>
/// Each operator's identification answer, as wire bytes in the format the operator sends (the examples dnsglobe's site
/// discovery reads, research notes §1): decoded by the codec, then read for the site the way that operator writes it.
/// </summary>
public sealed class PopQueryTests
{
    // CH TXT id.server -> "yul01" (Cloudflare: IATA code plus node).
    private const string Cloudflare = "2a0181800001000100000001026964067365727665720000100003c00c001000030000000000060579756c303100002904d0000000000000";

    // CH TXT id.server -> "res100.qzrh2.rrdns.pch.net" (Quad9 on PCH).
    private const string Quad9 = "2a0281800001000100000001026964067365727665720000100003c00c0010000300000000001b1a7265733130302e717a7268322e7272646e732e7063682e6e657400002904d0000000000000";

    // TXT o-o.myaddr.l.google.com -> the forwarded client subnet and the egress address, two records.
    private const string GoogleMyAddr = "2a0381800001000200000001036f2d6f066d7961646472016c06676f6f676c6503636f6d0000100001c00c001000010000003c00232265646e73302d636c69656e742d7375626e6574203230332e302e3131332e302f3234c00c001000010000003c000a0933342e36342e312e3900002904d0000000000000";

    // TXT locations.publicdns.goog -> "PREFIX code " lines, a wider and a narrower range holding the egress address.
    private const string GoogleLocations = "2a0481800001000300000001096c6f636174696f6e73097075626c6963646e7304676f6f670000100001c00c0010000100000e1000121133342e36342e302e302f31362078787820c00c0010000100000e1000121133342e36342e312e302f32342069636e20c00c0010000100000e10001918323430343a363830303a343030303a3a2f3438207470652000002904d0000000000000";

    // TXT debug.opendns.com -> server, flags and originid lines.
    private const string OpenDns = "2a0581800001000300000001056465627567076f70656e646e7303636f6d0000100001c00c0010000100000000000e0d7365727665722072332e79797ac00c0010000100000000002524666c61677320323230343030333020302037302034303031383030303030303030303030c00c0010000100000000000b0a6f726967696e6964203000002904d0000000000000";

    private static string[] Texts(string hex)
    {
        var response = DnsWire.Decode(Convert.FromHexString(hex));
        return [.. response.Answers.Where(r => r.Type == DnsWire.TypeTxt).Select(r => r.Data!)];
    }

    [Fact]
    public void Cloudflare_and_quad9_name_their_site_in_the_chaos_id_server_text()
    {
        var response = DnsWire.Decode(Convert.FromHexString(Cloudflare));
        Assert.Equal("id.server", response.QuestionName);
        Assert.Equal(DnsWire.ClassChaos, Assert.Single(response.Answers).Class);

        Assert.Equal("yul01", PopQuery.Parse(PopQuery.IdServer, Texts(Cloudflare)));
        Assert.Equal("res100.qzrh2.rrdns.pch.net", PopQuery.Parse(PopQuery.IdServer, Texts(Quad9)));
    }

    [Fact]
    public void Google_gives_its_egress_address_beside_the_client_subnet_and_its_list_names_the_site()
    {
        var texts = Texts(GoogleMyAddr);
        Assert.Equal(["edns0-client-subnet 203.0.113.0/24", "34.64.1.9"], texts);
        Assert.Equal("egress 34.64.1.9", PopQuery.Parse(PopQuery.Google, texts));

        var egress = PopQuery.GoogleEgress(texts)!;
        Assert.Equal("ICN", PopQuery.GoogleSite(egress, Texts(GoogleLocations)));
        Assert.Null(PopQuery.GoogleSite(IPAddress.Parse("8.8.8.8"), Texts(GoogleLocations)));
    }

    [Fact]
    public void OpenDns_names_its_site_in_the_server_line()
    {
        Assert.Equal("r3.yyz", PopQuery.Parse(PopQuery.OpenDns, Texts(OpenDns)));
        Assert.Null(PopQuery.Parse(PopQuery.OpenDns, ["flags 0", "originid 0"]));
    }

    [Fact]
    public void Empty_or_unrelated_answers_name_no_site()
    {
        Assert.Null(PopQuery.Parse(PopQuery.IdServer, []));
        Assert.Null(PopQuery.Parse(PopQuery.IdServer, ["  "]));
        Assert.Null(PopQuery.Parse(PopQuery.Google, ["edns0-client-subnet 203.0.113.0/24"]));
    }

    [Fact]
    public void The_identification_questions_are_asked_in_the_class_each_operator_answers()
    {
        Assert.Equal(("id.server", DnsWire.TypeTxt, DnsWire.ClassChaos), PopQuery.Question(PopQuery.IdServer));
        Assert.Equal(("o-o.myaddr.l.google.com", DnsWire.TypeTxt, DnsWire.ClassIn), PopQuery.Question(PopQuery.Google));
        Assert.Equal(("debug.opendns.com", DnsWire.TypeTxt, DnsWire.ClassIn), PopQuery.Question(PopQuery.OpenDns));

        var query = DnsWire.EncodeQuery(7, "id.server", DnsWire.TypeTxt, recursion: true, @class: DnsWire.ClassChaos);
        var afterName = 12 + "id.server".Length + 2;
        Assert.Equal([0, 16, 0, 3], query[afterName..(afterName + 4)]);
    }

    [Fact]
    public void A_txt_string_that_overruns_its_record_is_refused_not_half_read()
    {
        var bytes = Convert.FromHexString(Cloudflare);

        // The record's 6 octets (length 5 + "yul01") end where the 11-octet OPT record starts; claim 6 instead of 5.
        var at = bytes.Length - 11 - 6;
        Assert.Equal(5, bytes[at]);
        bytes[at] = 6;
        Assert.Throws<DnsWireException>(() => DnsWire.Decode(bytes));
    }

    [Fact]
    public void The_built_in_list_asks_each_operator_its_own_question_and_no_one_else_any()
    {
        var byOperator = ResolverCatalog.BuiltIn.GroupBy(r => r.Operator).ToDictionary(g => g.Key, g => g.Select(r => r.PopQuery).Distinct().Single());
        Assert.Equal(PopQuery.Google, byOperator["Google Public DNS"]);
        Assert.Equal(PopQuery.IdServer, byOperator["Cloudflare"]);
        Assert.Equal(PopQuery.IdServer, byOperator["Quad9 (unfiltered)"]);
        Assert.Equal(PopQuery.OpenDns, byOperator["Cisco OpenDNS"]);
        Assert.Equal(4, byOperator.Values.Count(q => q is not null));
    }
}
