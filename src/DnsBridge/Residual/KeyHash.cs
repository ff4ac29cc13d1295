using System.Buffers.Binary;
using System.Net;

namespace DnsBridge.Residual;

/// <summary>
/// Stable 64-bit hashes of residual keys, for the distinct-client estimator (which needs well-mixed bits, unlike
/// <see cref="object.GetHashCode"/>'s 32 randomised ones) and the marker of a truncated user agent (which must read
/// the same after a restart). Not a defence against crafted collisions: nothing here decides access.
/// </summary>
internal static class KeyHash
{
    /// <summary>An address's bytes (4 for IPv4, 16 for IPv6), mixed; no allocation.</summary>
    public static ulong Of(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return 0;
        }

        var hash = Mix((ulong)written);
        for (var i = 0; i < written; i += 8)
        {
            var chunk = written - i >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(bytes[i..]);
            hash = Mix(hash ^ chunk);
        }

        return hash;
    }

    /// <summary>FNV-1a over the UTF-16 code units, then mixed (FNV alone leaves the high bits weak).</summary>
    public static ulong Of(ReadOnlySpan<char> text)
    {
        var hash = 0xcbf29ce484222325UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 0x100000001b3UL;
        }

        return Mix(hash);
    }

    /// <summary>SplitMix64's finaliser: every input bit moves every output bit.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
