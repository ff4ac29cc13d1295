using DnsBridge.Propagation;
using DnsBridge.Propagation.Wire;
using DnsClient;

namespace DnsBridge.UnitTests.Propagation;

public sealed class DnsReplyTests
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(7);
    private static readonly DnsRecord Soa = new("example.test", DnsWire.TypeSoa, DnsWire.ClassIn, 600, null, new SoaData(42, 300));

    private static DnsResponse Response(int rcode, DnsRecord[] answers, DnsRecord[] authorities, string question = "www.example.test") =>
        new(1, false, true, rcode, question, DnsWire.TypeA, answers, authorities, null);

    [Fact]
    public void Addresses_come_back_sorted_once_with_the_smallest_ttl_and_lowercase_cnames()
    {
        var observation = DnsReply.From(Response(0,
            [
                new("www.example.test", DnsWire.TypeCname, DnsWire.ClassIn, 30, "Edge.Example.Test.", null),
                new("edge.example.test", DnsWire.TypeA, DnsWire.ClassIn, 60, "192.0.2.9", null),
                new("edge.example.test", DnsWire.TypeA, DnsWire.ClassIn, 20, "192.0.2.1", null),
                new("edge.example.test", DnsWire.TypeA, DnsWire.ClassIn, 90, "192.0.2.9", null),
                new("edge.example.test", DnsWire.TypeAaaa, DnsWire.ClassIn, 5, "2001:db8::1", null),
            ], [])).Observe("www.example.test.", QueryType.A, Latency);

        Assert.Equal(["192.0.2.1", "192.0.2.9"], observation.Addresses);
        Assert.Equal(["edge.example.test"], observation.Cnames);
        Assert.Equal(20, observation.Ttl);
        Assert.Null(observation.Error);
        Assert.True(observation.Authoritative);
    }

    [Fact]
    public void A_negative_answer_carries_the_smaller_of_the_soa_ttl_and_minimum_and_the_serial()
    {
        var nxdomain = DnsReply.From(Response(3, [], [Soa])).Observe("www.example.test", QueryType.A, Latency);
        var nodata = DnsReply.From(Response(0, [], [Soa])).Observe("www.example.test", QueryType.A, Latency);

        Assert.Equal((DnsObservation.NxDomainDetail, 300, 42L), (nxdomain.Detail, nxdomain.Ttl, nxdomain.SoaSerial));
        Assert.Equal((DnsObservation.NoDataDetail, 300, 42L), (nodata.Detail, nodata.Ttl, nodata.SoaSerial));
        Assert.Null(nxdomain.Error);
    }

    [Theory]
    [InlineData(2, DnsFailureReason.Servfail, "SERVFAIL")]
    [InlineData(5, DnsFailureReason.Refused, "REFUSED")]
    [InlineData(4, DnsFailureReason.OtherRcode, "NOTIMP")]
    [InlineData(9, DnsFailureReason.OtherRcode, "RCODE 9")]
    public void Other_response_codes_are_failures_with_a_reason(int rcode, string reason, string detail)
    {
        var observation = DnsReply.From(Response(rcode, [], [Soa])).Observe("www.example.test", QueryType.A, Latency);

        Assert.Equal((reason, detail), (observation.Error, observation.Detail));
        Assert.Empty(observation.Addresses);
    }

    [Fact]
    public void An_answer_to_another_question_is_malformed()
    {
        var observation = DnsReply.From(Response(0, [], [], question: "other.example.test")).Observe("www.example.test", QueryType.A, Latency);

        Assert.Equal(DnsFailureReason.Malformed, observation.Error);
    }
}
