using System.Text.Json;
using DnsBridge.Admin;
using DnsBridge.Propagation;

namespace DnsBridge.UnitTests.Admin;

/// <summary>
/// The one projection of a resolver's answer that the API, the delegation block and <c>check --json</c> show: each
/// kind of answer once, as the API writes it (field names, order and values are the API's contract), and what
/// <c>check --json</c> calls its error.
/// </summary>
public sealed class ResolverRowTests
{
    public static TheoryData<string, string?, string> Cases() => new()
    {
        {
            "target", null,
            """{"name":"Google","resolver":"8.8.8.8:53","region":"North America","operator":"Google","transport":"udp","pop":"fra","clientSubnet":"203.0.113.0/24","subnetScope":24,"ignoresClientSubnet":false,"vantage":"local","authoritative":false,"answer":"target","addresses":["198.51.100.7"],"cnames":["edge.example.net"],"ttl":300,"error":null,"detail":null,"checkedAt":"2026-03-01T12:00:00+00:00","latencyMs":12.3,"soaSerial":null,"location":{"city":"Mountain View","latitude":37.42,"longitude":-122.08}}"""
        },
        {
            "stale source", null,
            """{"name":"Quad9","resolver":"9.9.9.9:53","region":"Europe","operator":"Quad9","transport":"udp","pop":null,"clientSubnet":null,"subnetScope":null,"ignoresClientSubnet":true,"vantage":"local","authoritative":false,"answer":"source","addresses":["192.0.2.10"],"cnames":[],"ttl":3540,"error":null,"detail":null,"checkedAt":"2026-03-01T12:00:00+00:00","latencyMs":40.1,"soaSerial":null,"location":null}"""
        },
        {
            "NXDOMAIN", "NXDOMAIN",
            """{"name":"Quad9","resolver":"9.9.9.9:53","region":"Europe","operator":"Quad9","transport":"udp","pop":null,"clientSubnet":null,"subnetScope":null,"ignoresClientSubnet":false,"vantage":"local","authoritative":false,"answer":"other","addresses":[],"cnames":[],"ttl":60,"error":null,"detail":"NXDOMAIN","checkedAt":"2026-03-01T12:00:00+00:00","latencyMs":8,"soaSerial":null,"location":null}"""
        },
        {
            "NODATA", "NODATA",
            """{"name":"ns1.example.com","resolver":"192.0.2.53:53","region":"authoritative","operator":"authoritative","transport":"udp","pop":null,"clientSubnet":null,"subnetScope":null,"ignoresClientSubnet":false,"vantage":"local","authoritative":true,"answer":"other","addresses":[],"cnames":[],"ttl":null,"error":null,"detail":"NODATA","checkedAt":"2026-03-01T12:00:00+00:00","latencyMs":3,"soaSerial":2026030101,"location":null}"""
        },
        {
            "timeout", "timeout",
            """{"name":"Quad9","resolver":"9.9.9.9:53","region":"Europe","operator":"Quad9","transport":"udp","pop":null,"clientSubnet":null,"subnetScope":null,"ignoresClientSubnet":false,"vantage":"local","authoritative":false,"answer":"error","addresses":[],"cnames":[],"ttl":null,"error":"timeout","detail":"no answer within 2 s","checkedAt":"2026-03-01T12:00:00+00:00","latencyMs":2000,"soaSerial":null,"location":null}"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_kind_of_answer_is_projected_once_as_the_API_writes_it(string kind, string? failure, string apiJson)
    {
        var row = new ResolverRow(Result(kind));

        Assert.Equal(apiJson, JsonSerializer.Serialize(row, AdminJsonContext.Default.ResolverRow));
        Assert.Equal(failure, row.Failure);
    }

    [Fact]
    public void A_previous_server_shows_its_row_with_server_for_the_address()
    {
        var document = new PreviousServerDocument(new ResolverRow(ResolverRowsFixture.NxDomain));

        Assert.Equal(
            """{"name":"Quad9","server":"9.9.9.9:53","answer":"other","addresses":[],"cnames":[],"ttl":60,"error":null,"detail":"NXDOMAIN","soaSerial":null}""",
            JsonSerializer.Serialize(document, AdminJsonContext.Default.PreviousServerDocument));
    }

    private static ResolverResult Result(string kind) => kind switch
    {
        "target" => ResolverRowsFixture.Target,
        "stale source" => ResolverRowsFixture.StaleSource,
        "NXDOMAIN" => ResolverRowsFixture.NxDomain,
        "NODATA" => ResolverRowsFixture.NoData,
        _ => ResolverRowsFixture.Timeout,
    };
}
