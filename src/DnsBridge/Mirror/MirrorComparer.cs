using System.IO.Compression;

namespace DnsBridge.Mirror;

/// <summary>One side's answer to a request, as far as the comparison needs it.</summary>
internal sealed record MirrorAnswer(int Status, string? ContentType, string? ContentEncoding, ReadOnlyMemory<byte> Body, bool BodyComplete);

/// <summary>What the comparison of two answers found.</summary>
internal sealed record Comparison(MirrorOutcome Outcome, bool BodyCompared, IReadOnlyList<FieldDifference> Differences)
{
    public IReadOnlyList<string> Fields => [.. Differences.Select(d => d.Field).Distinct(StringComparer.Ordinal)];
}

/// <summary>
/// Compares the source's answer with another one (the target's, or the source's second answer when learning
/// noise): status first, then the media type, then the body (JSON structurally, anything else byte for byte).
/// A body not kept whole (beyond <c>MaxBodyBytes</c>) on either side is not compared.
/// </summary>
internal static class MirrorComparer
{
    public static Comparison Compare(MirrorAnswer source, MirrorAnswer other, JsonDiff json, IReadOnlySet<string>? noise)
    {
        if (source.Status != other.Status)
        {
            return new Comparison(MirrorOutcome.StatusMismatch, false, []);
        }

        if (!string.Equals(MediaType(source.ContentType), MediaType(other.ContentType), StringComparison.OrdinalIgnoreCase))
        {
            return new Comparison(MirrorOutcome.BodyMismatch, true,
                [new FieldDifference(MirrorResults.ContentTypeField, MirrorResults.ContentTypeField, source.ContentType ?? "(none)", other.ContentType ?? "(none)")]);
        }

        if (!source.BodyComplete || !other.BodyComplete)
        {
            return new Comparison(MirrorOutcome.Match, false, []);
        }

        var a = Decode(source);
        var b = Decode(other);
        if (a is null || b is null)
        {
            return new Comparison(MirrorOutcome.Match, false, []);
        }

        if (a.Value.Span.SequenceEqual(b.Value.Span))
        {
            return new Comparison(MirrorOutcome.Match, true, []);
        }

        if (JsonDiff.IsJson(source.ContentType) && json.Compare(a.Value, b.Value, noise) is { } differences)
        {
            return new Comparison(differences.Count == 0 ? MirrorOutcome.Match : MirrorOutcome.BodyMismatch, true, differences);
        }

        if (noise?.Contains(MirrorResults.BodyField) == true)
        {
            return new Comparison(MirrorOutcome.Match, true, []);
        }

        return new Comparison(MirrorOutcome.BodyMismatch, true,
            [new FieldDifference(MirrorResults.BodyField, MirrorResults.BodyField, $"{a.Value.Length} bytes", $"{b.Value.Length} bytes")]);
    }

    /// <summary><c>application/json</c> of <c>application/json; charset=utf-8</c>.</summary>
    public static string? MediaType(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    /// <summary>The body as sent, decompressed when it was gzip, deflate or br (bounded); null when it cannot be.</summary>
    public static ReadOnlyMemory<byte>? Decode(MirrorAnswer answer)
    {
        var encoding = answer.ContentEncoding?.Trim();
        if (string.IsNullOrEmpty(encoding) || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return answer.Body;
        }

        try
        {
            using var input = new MemoryStream(answer.Body.ToArray(), writable: false);
            using Stream decoder = encoding.ToLowerInvariant() switch
            {
                "gzip" => new GZipStream(input, CompressionMode.Decompress),
                "deflate" => new ZLibStream(input, CompressionMode.Decompress),
                "br" => new BrotliStream(input, CompressionMode.Decompress),
                _ => throw new InvalidDataException(encoding),
            };
            using var output = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = decoder.Read(buffer, 0, buffer.Length)) > 0)
            {
                output.Write(buffer, 0, read);
                if (output.Length > MaxDecoded)
                {
                    return null;
                }
            }

            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private const int MaxDecoded = 16 * 1024 * 1024;
}
