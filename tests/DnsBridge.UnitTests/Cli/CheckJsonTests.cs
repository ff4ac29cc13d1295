using DnsBridge.Cli;
using DnsBridge.UnitTests.Admin;

namespace DnsBridge.UnitTests.Cli;

/// <summary>
/// <c>check --json</c> is read by scripts: its field names, their order and values stay as they are, byte for byte
/// (each kind of answer and its <c>error</c> is in <see cref="Admin.ResolverRowTests"/>).
/// </summary>
public sealed class CheckJsonTests
{
    [Fact]
    public void Check_json_keeps_its_fields_and_values()
    {
        var json = CheckCommand.ToJson("www.example.com", ResolverRowsFixture.Snapshot);

        Assert.Equal(Expected, json);
    }

    private const string Expected = """
        {
          "host": "www.example.com",
          "propagation": 1,
          "authoritativeUnreachable": false,
          "resolvers": [
            {
              "name": "Google",
              "resolver": "8.8.8.8:53",
              "region": "North America",
              "transport": "udp",
              "pop": "fra",
              "clientSubnet": "203.0.113.0/24",
              "subnetScope": 24,
              "ignoresClientSubnet": false,
              "vantage": "local",
              "answer": "target",
              "addresses": [
                "198.51.100.7"
              ],
              "ttl": 300,
              "error": null
            }
          ],
          "delegation": {
            "zone": "example.com",
            "parentZone": "com",
            "parentServers": [
              "192.5.6.30:53"
            ],
            "parentNameServers": [
              "ns1.example.com"
            ],
            "parentNsTtl": 172800,
            "parentNsTtlAssumed": false,
            "parentError": null,
            "currentNameServers": [
              "ns1.example.com"
            ],
            "previousNameServers": [
              "ns1.old-dns.net"
            ],
            "previousFrom": "config",
            "nsSetsDiffer": false,
            "previousAnswersSource": false,
            "switchedAt": "2026-03-01T12:00:00+00:00",
            "oldDelegationCachedUntil": "2026-03-03T12:00:00+00:00",
            "previous": [
              {
                "name": "Quad9",
                "server": "9.9.9.9:53",
                "answer": "other",
                "addresses": [],
                "cnames": [],
                "ttl": 60,
                "error": null,
                "detail": "NXDOMAIN",
                "soaSerial": null
              }
            ]
          }
        }
        """ + "\n";
}
