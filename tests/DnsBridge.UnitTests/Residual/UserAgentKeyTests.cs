using DnsBridge.Residual;

namespace DnsBridge.UnitTests.Residual;

public sealed class UserAgentKeyTests
{
    [Theory]
    [InlineData("curl/8.5.0")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")]
    public void Real_user_agents_are_kept_as_they_are(string agent) => Assert.Same(agent, UserAgentKey.Of(agent));

    [Fact]
    public void Exactly_the_cap_is_kept_one_more_is_cut()
    {
        var atCap = new string('a', UserAgentKey.MaxLength);
        Assert.Same(atCap, UserAgentKey.Of(atCap));
        Assert.NotEqual(atCap + "b", UserAgentKey.Of(atCap + "b"));
        Assert.Equal(UserAgentKey.MaxLength, UserAgentKey.Of(atCap + "b").Length);
    }

    [Fact]
    public void Long_agents_keep_a_prefix_and_a_hash_so_a_shared_prefix_is_still_told_apart()
    {
        var prefix = "Hostile/" + new string('x', 16 * 1024);
        var one = UserAgentKey.Of(prefix + "1");
        var two = UserAgentKey.Of(prefix + "2");

        Assert.Equal(UserAgentKey.MaxLength, one.Length);
        Assert.StartsWith("Hostile/xxx", one, StringComparison.Ordinal);
        Assert.Matches("\\.\\.\\.#[0-9a-f]{16}$", one);
        Assert.NotEqual(one, two);
        Assert.Equal(one, UserAgentKey.Of(prefix + "1"));
    }
}
