using System.Reflection;

namespace DnsBridge.Cli;

/// <summary>
/// What <c>dnsbridge --version</c> prints: the version and the git commit the binary was built from. The SDK appends
/// the commit to the informational version (<c>1.0.0+SHA</c>, from <c>SourceRevisionId</c>); a build from a tree
/// without <c>.git</c> (a container build context) has none, which is said rather than guessed.
/// </summary>
internal static class VersionInfo
{
    public static string Line { get; } = Describe(typeof(VersionInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    internal static string Describe(string? informationalVersion)
    {
        var (version, commit) = informationalVersion?.Split('+', 2) switch
        {
            [var v, var c] when c.Length > 0 => (v, c),
            [var v, ..] when v.Length > 0 => (v, null),
            _ => ("unknown", null),
        };
        return commit is null
            ? $"dnsbridge {version} (commit unknown: built without git metadata)"
            : $"dnsbridge {version} (commit {commit})";
    }
}
