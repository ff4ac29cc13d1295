using System.Text.RegularExpressions;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.UnitTests.Configuration;

namespace DnsBridge.FunctionalTests.Docs;

/// <summary>
/// The documentation a user has: everything inside the repository, every link between the files resolving, the
/// configuration reference equal to the keys the reader accepts and the event-id table equal to the code.
/// </summary>
public sealed partial class DocsTests
{
    private static IEnumerable<string> Documents() =>
        new[] { Repo.PathOf("README.md"), Repo.PathOf("CHANGELOG.md") }
            .Concat(Directory.GetFiles(Repo.PathOf("docs"), "*.md", SearchOption.AllDirectories));

    [Fact]
    public void The_readme_is_short_and_nothing_points_outside_the_repository()
    {
        Assert.InRange(File.ReadAllLines(Repo.PathOf("README.md")).Length, 1, 199);
        foreach (var file in Documents())
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains("../shared", StringComparison.Ordinal) || text.Contains("DESIGN.md", StringComparison.Ordinal),
                $"{Path.GetRelativePath(Repo.Root, file)} points to a file users do not have");
        }
    }

    [Fact]
    public void Every_relative_link_and_anchor_between_the_documents_resolves()
    {
        var dead = new List<string>();
        foreach (var file in Documents())
        {
            foreach (var link in Links(File.ReadAllText(file)))
            {
                if (link.StartsWith("http://", StringComparison.Ordinal) || link.StartsWith("https://", StringComparison.Ordinal) || link.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                var (target, anchor) = link.Split('#', 2) switch { [var t, var a] => (t, a), var parts => (parts[0], (string?)null) };
                var path = target.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(target)));
                var where = $"{Path.GetRelativePath(Repo.Root, file)}: ({link})";
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    dead.Add($"{where}: no such file");
                }
                else if (anchor is not null && (!path.EndsWith(".md", StringComparison.Ordinal) || !Anchors(File.ReadAllText(path)).Contains(anchor)))
                {
                    dead.Add($"{where}: no such heading");
                }
            }
        }

        Assert.True(dead.Count == 0, string.Join("\n", dead));
    }

    [Fact]
    public void The_configuration_reference_lists_every_key_the_reader_accepts_in_its_order()
    {
        var documented = KeyRow().Matches(File.ReadAllText(Repo.PathOf("docs", "configuration.md"))).Select(m => m.Groups[1].Value).ToList();

        var accepted = ReaderKeys.All();

        Assert.Equal(accepted.Except(documented).ToList(), Array.Empty<string>());
        Assert.Equal(documented.Except(accepted).ToList(), Array.Empty<string>());
        Assert.Equal(accepted, documented);
    }

    [Fact]
    public void The_event_id_table_has_every_event_the_code_logs()
    {
        var inCode = Directory.GetFiles(Repo.PathOf("src", "DnsBridge"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => LoggerMessageId().Matches(File.ReadAllText(f)).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Order().ToList();
        var operations = File.ReadAllText(Repo.PathOf("docs", "operations.md"));
        var start = operations.IndexOf("<!-- event-ids:start -->", StringComparison.Ordinal);
        var end = operations.IndexOf("<!-- event-ids:end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/operations.md lacks the event-ids markers");

        var documented = EventRow().Matches(operations[start..end]).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.NotEmpty(inCode);
        Assert.Equal(inCode, documented);
    }

    private static IEnumerable<string> Links(string markdown)
    {
        foreach (var line in WithoutCode(markdown))
        {
            foreach (Match m in Link().Matches(InlineCode().Replace(line, "")))
            {
                yield return m.Groups[1].Value;
            }
        }
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes, repeats numbered.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in WithoutCode(markdown))
        {
            if (Heading().Match(line) is { Success: true } heading)
            {
                var slug = NotSlug().Replace(heading.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-');
                var unique = slug;
                for (var n = 1; !anchors.Add(unique); n++)
                {
                    unique = $"{slug}-{n}";
                }
            }
        }

        return anchors;
    }

    private static IEnumerable<string> WithoutCode(string markdown)
    {
        var fenced = false;
        foreach (var line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced)
            {
                yield return line;
            }
        }
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"^#{1,6} (.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd}\p{Mn}\p{Pc} -]")]
    private static partial Regex NotSlug();

    [GeneratedRegex(@"^\| `([A-Za-z0-9:]+)` \|", RegexOptions.Multiline)]
    private static partial Regex KeyRow();

    [GeneratedRegex(@"LoggerMessage\(\s*EventId\s*=\s*(\d+)")]
    private static partial Regex LoggerMessageId();

    [GeneratedRegex(@"^\| (\d+) \|", RegexOptions.Multiline)]
    private static partial Regex EventRow();
}
