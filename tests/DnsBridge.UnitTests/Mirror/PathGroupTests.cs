using DnsBridge.Mirror;

namespace DnsBridge.UnitTests.Mirror;

public sealed class PathGroupTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("", "/")]
    [InlineData("/orders/1234", "/orders/{id}")]
    [InlineData("/orders/1234/items/7?x=1", "/orders/{id}/items/{id}")]
    [InlineData("/u/3f2504e0-4f89-11d3-9a0c-0305e82c3301/profile", "/u/{id}/profile")]
    [InlineData("/u/3f2504e04f8911d39a0c0305e82c3301", "/u/{id}")]
    [InlineData("/blob/deadbeefdeadbeef", "/blob/{id}")]
    [InlineData("/blob/deadbeef", "/blob/deadbeef")]
    [InlineData("/api/v2/users", "/api/v2/users")]
    [InlineData("/static/app.js", "/static/app.js")]
    [InlineData("/trailing/", "/trailing/")]
    public void Identifiers_become_id_and_the_query_is_dropped(string path, string group)
    {
        Assert.Equal(group, PathGroup.Of(path));
    }

    [Fact]
    public void A_group_is_bounded_whatever_the_path()
    {
        var path = string.Concat(Enumerable.Repeat("/segment", 500));

        Assert.Equal(PathGroup.MaxLength, PathGroup.Of(path).Length);
    }
}
