using System.Buffers.Binary;

namespace DnsBridge.Propagation.Wire;

/// <summary>DNS over a stream (TCP, TLS): each message behind a two-octet length (RFC 1035 §4.2.2, RFC 7858 §3.3).</summary>
internal static class StreamExchange
{
    public static async Task<byte[]> ExchangeAsync(Stream stream, byte[] query, CancellationToken cancellationToken)
    {
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken);
        await stream.FlushAsync(cancellationToken);

        var id = BinaryPrimitives.ReadUInt16BigEndian(query);
        while (true)
        {
            var length = new byte[2];
            await stream.ReadExactlyAsync(length, cancellationToken);
            var answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
            await stream.ReadExactlyAsync(answer, cancellationToken);

            // Responses may come out of order on a reused connection (RFC 7766 §7): one for another ID is not ours.
            if (answer.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(answer) == id)
            {
                return answer;
            }
        }
    }
}
