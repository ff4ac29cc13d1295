using System.Net;
using DnsBridge.Residual;
using Microsoft.Extensions.Primitives;

namespace DnsBridge.UnitTests.Residual;

/// <summary>
/// Who the client is behind trusted proxies: the right-most X-Forwarded-For address that is not a trusted proxy;
/// entries further left are whatever the client wrote, and garbage ends the walk.
/// </summary>
public sealed class ClientAddressResolverTests
{
    private static readonly ClientAddressResolver Resolver = new(["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"]);
    private static readonly IPAddress Lb = IPAddress.Parse("10.0.0.1");

    private static string? Resolve(string peer, params string[] forwardedFor) =>
        Resolver.Resolve(IPAddress.Parse(peer), new StringValues(forwardedFor))?.ToString();

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9, 10.0.0.7", "203.0.113.9")]
    [InlineData("6.6.6.6, 203.0.113.9, 10.0.0.7, 10.0.0.8", "203.0.113.9")]
    [InlineData("1.1.1.1, 2.2.2.2, 203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9:51234", "203.0.113.9")]
    [InlineData("[2001:db8::9]:443, fd00::2", "2001:db8::9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData(" 203.0.113.9 ,10.0.0.7 ", "203.0.113.9")]
    public void Right_most_untrusted_address_wins_and_spoofed_left_entries_are_ignored(string header, string client) =>
        Assert.Equal(client, Resolve("10.0.0.1", header));

    [Fact]
    public void Several_header_lines_are_one_chain_read_from_the_last()
    {
        Assert.Equal("203.0.113.9", Resolve("127.0.0.1", "6.6.6.6, 203.0.113.9", "10.0.0.7"));
        Assert.Equal("198.51.100.4", Resolve("127.0.0.1", "203.0.113.9", "198.51.100.4, 10.0.0.7"));
    }

    [Theory]
    [InlineData("6.6.6.6, garbage, 10.0.0.7", "10.0.0.7")]
    [InlineData("6.6.6.6, , 10.0.0.7", "10.0.0.7")]
    [InlineData("6.6.6.6, unknown", "10.0.0.1")]
    [InlineData("203.0.113.9, 999.1.1.1", "10.0.0.1")]
    public void Garbage_stops_the_walk_at_the_last_address_believed(string header, string client) =>
        Assert.Equal(client, Resolve("10.0.0.1", header));

    [Fact]
    public void Only_a_trusted_peer_is_believed()
    {
        Assert.Equal("203.0.113.50", Resolve("203.0.113.50", "6.6.6.6"));
        Assert.Equal("203.0.113.50", Resolve("::ffff:203.0.113.50", "6.6.6.6"));
        Assert.Equal("10.0.0.1", Resolver.Resolve(Lb, StringValues.Empty)?.ToString());
        Assert.Null(Resolver.Resolve(null, new StringValues("6.6.6.6")));
    }

    [Fact]
    public void A_chain_of_trusted_proxies_only_gives_the_left_most_one() =>
        Assert.Equal("10.0.0.5", Resolve("10.0.0.1", "10.0.0.5, 10.0.0.6"));
}
