using DnsBridge.Forwarding;

namespace DnsBridge.UnitTests.Forwarding;

public sealed class RouteTableTests
{
    [Theory]
    [InlineData("shop.example.com", "shop.example.com")]
    [InlineData("shop.example.com:8080", "shop.example.com")]
    [InlineData("shop.example.com.", "shop.example.com")]
    [InlineData("shop.example.com.:443", "shop.example.com")]
    public void Takes_the_name_out_of_a_host_header(string header, string name)
    {
        Assert.True(RouteTable.TryGetName(header, out var span));
        Assert.Equal(name, span.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("[::1]:80")]
    [InlineData("shop.example.com:")]
    [InlineData("shop.example.com:http")]
    [InlineData("shop.example.com:123456")]
    [InlineData(":80")]
    public void Refuses_host_headers_that_name_nothing_forwardable(string header) =>
        Assert.False(RouteTable.TryGetName(header, out var name) && !name.IsEmpty);
}
