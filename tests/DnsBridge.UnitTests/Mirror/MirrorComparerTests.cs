using System.IO.Compression;
using System.Text;
using DnsBridge.Mirror;

namespace DnsBridge.UnitTests.Mirror;

public sealed class MirrorComparerTests
{
    private static MirrorAnswer Answer(int status, string body, string? type = "application/json", string? encoding = null) =>
        new(status, type, encoding, Encoding.UTF8.GetBytes(body), true);

    [Fact]
    public void Status_is_compared_first()
    {
        var c = MirrorComparer.Compare(Answer(200, "{}"), Answer(500, "oops", "text/plain"), JsonDiff.None, null);

        Assert.Equal(MirrorOutcome.StatusMismatch, c.Outcome);
    }

    [Fact]
    public void Media_types_compare_without_parameters()
    {
        Assert.Equal(MirrorOutcome.Match, MirrorComparer.Compare(Answer(200, "{}", "application/json; charset=utf-8"), Answer(200, "{}", "Application/JSON"), JsonDiff.None, null).Outcome);

        var c = MirrorComparer.Compare(Answer(200, "{}"), Answer(200, "{}", "text/html"), JsonDiff.None, null);
        Assert.Equal(MirrorOutcome.BodyMismatch, c.Outcome);
        Assert.Equal([MirrorResults.ContentTypeField], c.Fields);
    }

    [Fact]
    public void Json_is_compared_structurally_and_anything_else_byte_for_byte()
    {
        var json = MirrorComparer.Compare(Answer(200, """{"a":1,"b":2}"""), Answer(200, """{"b":2,"a":3}"""), JsonDiff.None, null);
        Assert.Equal(["$.a"], json.Fields);

        var text = MirrorComparer.Compare(Answer(200, "hello", "text/plain"), Answer(200, "hellO", "text/plain"), JsonDiff.None, null);
        Assert.Equal(MirrorOutcome.BodyMismatch, text.Outcome);
        Assert.Equal([MirrorResults.BodyField], text.Fields);
    }

    [Fact]
    public void A_body_beyond_the_limit_is_not_compared()
    {
        var big = new MirrorAnswer(200, "text/plain", null, ReadOnlyMemory<byte>.Empty, BodyComplete: false);

        var c = MirrorComparer.Compare(Answer(200, "x", "text/plain"), big, JsonDiff.None, null);

        Assert.Equal(MirrorOutcome.Match, c.Outcome);
        Assert.False(c.BodyCompared);
    }

    [Fact]
    public void Compressed_bodies_are_compared_decompressed()
    {
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write("""{"a":1}"""u8);
        }

        var gzipped = new MirrorAnswer(200, "application/json", "gzip", gz.ToArray(), true);

        Assert.Equal(MirrorOutcome.Match, MirrorComparer.Compare(gzipped, Answer(200, """{ "a": 1 }"""), JsonDiff.None, null).Outcome);
    }
}
