using System.Text;
using DnsBridge.Mirror;

namespace DnsBridge.UnitTests.Mirror;

public sealed class JsonDiffTests
{
    private static List<FieldDifference>? Diff(string a, string b, IReadOnlyList<string>? ignore = null, IReadOnlySet<string>? noise = null) =>
        new JsonDiff(ignore ?? []).Compare(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b), noise);

    [Fact]
    public void Member_order_whitespace_and_number_format_do_not_matter()
    {
        Assert.Empty(Diff("""{"a":1,"b":[1,2],"c":{"d":true}}""", """{ "c": { "d": true }, "b": [1, 2.0], "a": 1.0 }""")!);
    }

    [Fact]
    public void Differences_are_named_by_path_and_by_field()
    {
        var diff = Diff("""{"user":{"name":"ann","age":3},"items":[{"id":1},{"id":2}]}""", """{"user":{"name":"bob","age":3},"items":[{"id":1},{"id":5}]}""")!;

        Assert.Equal(["$.user.name", "$.items[1].id"], diff.Select(d => d.Path));
        Assert.Equal(["$.user.name", "$.items[*].id"], diff.Select(d => d.Field));
        Assert.Equal("ann", diff[0].Source);
        Assert.Equal("bob", diff[0].Target);
    }

    [Fact]
    public void Missing_and_extra_members_type_changes_and_array_lengths_are_differences()
    {
        var diff = Diff("""{"a":1,"b":"x","list":[1,2,3]}""", """{"a":"1","c":2,"list":[1,2]}""")!;

        Assert.Equal(["$.a", "$.b", "$.list", "$.c"], diff.Select(d => d.Path));
        Assert.Equal("(missing)", diff[1].Target);
        Assert.Equal("(missing)", diff[3].Source);
    }

    [Fact]
    public void Ignore_paths_skip_members_wildcards_and_whole_subtrees()
    {
        var a = """{"meta":{"requestId":"1","at":"t1"},"items":[{"etag":"x","v":1}],"other":{"updated":1}}""";
        var b = """{"meta":{"requestId":"2","at":"t2"},"items":[{"etag":"y","v":1}],"other":{"updated":2}}""";

        Assert.Empty(Diff(a, b, ["$.meta", "$.items[*].etag", "$.*.updated"])!);
        Assert.Equal(["$.meta.at"], Diff(a, b, ["$.meta.requestId", "$.items[0].etag", "$.other.updated"])!.Select(d => d.Path));
    }

    [Fact]
    public void Noise_fields_are_skipped_for_every_element()
    {
        var diff = Diff("""{"items":[{"nonce":"a"},{"nonce":"b"}],"x":1}""", """{"items":[{"nonce":"c"},{"nonce":"d"}],"x":2}""",
            noise: new HashSet<string>(["$.items[*].nonce"], StringComparer.Ordinal))!;

        Assert.Equal(["$.x"], diff.Select(d => d.Path));
    }

    [Fact]
    public void Not_json_is_null_so_the_caller_compares_bytes()
    {
        Assert.Null(Diff("<html>", """{"a":1}"""));
        Assert.Null(Diff("""{"a":1}""", "not json"));
    }

    [Fact]
    public void The_number_of_differences_is_capped()
    {
        var a = "[" + string.Join(",", Enumerable.Range(0, 100)) + "]";
        var b = "[" + string.Join(",", Enumerable.Range(1000, 100)) + "]";

        Assert.Equal(JsonDiff.MaxDifferences, Diff(a, b)!.Count);
    }
}
