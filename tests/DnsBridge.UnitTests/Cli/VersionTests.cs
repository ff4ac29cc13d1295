using DnsBridge.Cli;

namespace DnsBridge.UnitTests.Cli;

public sealed class VersionTests
{
    [Fact]
    public async Task Version_prints_the_version_and_the_commit_it_was_built_from()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await DnsBridgeCommand.RunAsync(["--version"], stdout, stderr);

        Assert.Equal(0, code);
        // The repository is a git checkout, so the build knows its commit (SourceRevisionId).
        Assert.Matches(@"^dnsbridge \d+\.\d+\.\d+\S* \(commit [0-9a-f]{40}\)\r?\n$", stdout.ToString());
        Assert.Empty(stderr.ToString());
    }

    [Theory]
    [InlineData("1.2.0+0123456789abcdef0123456789abcdef01234567", "dnsbridge 1.2.0 (commit 0123456789abcdef0123456789abcdef01234567)")]
    [InlineData("1.2.0", "dnsbridge 1.2.0 (commit unknown: built without git metadata)")]
    [InlineData(null, "dnsbridge unknown (commit unknown: built without git metadata)")]
    public void A_build_without_git_says_the_commit_is_unknown(string? informational, string expected) =>
        Assert.Equal(expected, VersionInfo.Describe(informational));
}
