using DnsBridge.Cli;
using DnsBridge.UnitTests.Admin;

namespace DnsBridge.UnitTests.Cli;

/// <summary><c>check --json</c> is read by scripts: its field names, their order and values stay as they are, byte for byte.</summary>
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
          "propagation": 0.5,
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
            },
            {
              "name": "Quad9",
              "resolver": "9.9.9.9:53",
              "region": "Europe",
              "transport": "udp",
              "pop": null,
              "clientSubnet": null,
              "subnetScope": null,
              "ignoresClientSubnet": true,
              "vantage": "local",
              "answer": "source",
              "addresses": [
                "192.0.2.10"
              ],
              "ttl": 3540,
              "error": null
            },
            {
              "name": "Quad9",
              "resolver": "9.9.9.9:53",
              "region": "Europe",
              "transport": "udp",
              "pop": null,
              "clientSubnet": null,
              "subnetScope": null,
              "ignoresClientSubnet": false,
              "vantage": "local",
              "answer": "other",
              "addresses": [],
              "ttl": 60,
              "error": "NXDOMAIN"
            },
            {
              "name": "ns1.example.com",
              "resolver": "192.0.2.53:53",
              "region": "authoritative",
              "transport": "udp",
              "pop": null,
              "clientSubnet": null,
              "subnetScope": null,
              "ignoresClientSubnet": false,
              "vantage": "local",
              "answer": "other",
              "addresses": [],
              "ttl": null,
              "error": "NODATA"
            },
            {
              "name": "Quad9",
              "resolver": "9.9.9.9:53",
              "region": "Europe",
              "transport": "udp",
              "pop": null,
              "clientSubnet": null,
              "subnetScope": null,
              "ignoresClientSubnet": false,
              "vantage": "local",
              "answer": "error",
              "addresses": [],
              "ttl": null,
              "error": "timeout"
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
            "previousAnswersSource": true,
            "switchedAt": "2026-03-01T12:00:00+00:00",
            "oldDelegationCachedUntil": "2026-03-03T12:00:00+00:00",
            "previous": [
              {
                "name": "ns1.old-dns.net",
                "server": "9.9.9.9:53",
                "answer": "source",
                "addresses": [
                  "192.0.2.10"
                ],
                "cnames": [],
                "ttl": 3540,
                "error": null,
                "detail": null,
                "soaSerial": null
              },
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
              },
              {
                "name": "Quad9",
                "server": "9.9.9.9:53",
                "answer": "error",
                "addresses": [],
                "cnames": [],
                "ttl": null,
                "error": "timeout",
                "detail": "no answer within 2 s",
                "soaSerial": null
              }
            ]
          }
        }
        """ + "\n";
}
