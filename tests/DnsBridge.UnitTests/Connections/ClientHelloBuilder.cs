using System.Buffers.Binary;
using System.Net.Security;
using System.Text;

namespace DnsBridge.UnitTests.Connections;

/// <summary>ClientHellos for the parser: real ones captured from SslStream (in memory), and hand-made ones for the edge cases.</summary>
internal static class ClientHelloBuilder
{
    /// <summary>The ClientHello .NET's TLS stack (OpenSSL) sends for a name, captured from the first write; no socket.</summary>
    public static byte[] Real(string host)
    {
        var capture = new CaptureStream();
        using var ssl = new SslStream(capture);
        try
        {
            ssl.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = host });
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            // The capture stream answers with end of stream: the handshake fails after the ClientHello was written.
        }

        return capture.Written.ToArray();
    }

    /// <summary>The handshake message (type, uint24 length, body) of a ClientHello with these extensions.</summary>
    public static byte[] Message(params (ushort Type, byte[] Data)[] extensions)
    {
        var body = new List<byte>();
        body.AddRange([0x03, 0x03]);
        body.AddRange(new byte[32]);
        body.Add(0);
        body.AddRange([0x00, 0x04, 0x13, 0x01, 0x13, 0x02]);
        body.AddRange([0x01, 0x00]);
        var ext = new List<byte>();
        foreach (var (type, data) in extensions)
        {
            ext.AddRange(U16(type));
            ext.AddRange(U16(data.Length));
            ext.AddRange(data);
        }

        body.AddRange(U16(ext.Count));
        body.AddRange(ext);
        return [0x01, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count, .. body];
    }

    public static (ushort, byte[]) Sni(params string[] names)
    {
        var list = new List<byte>();
        foreach (var name in names)
        {
            var bytes = Encoding.ASCII.GetBytes(name);
            list.Add(0);
            list.AddRange(U16(bytes.Length));
            list.AddRange(bytes);
        }

        return (0, [.. U16(list.Count), .. list]);
    }

    public static (ushort, byte[]) Padding(int length) => (21, new byte[length]);

    /// <summary>The message split into TLS records of at most <paramref name="recordSize"/> payload bytes each.</summary>
    public static byte[] Records(byte[] message, int recordSize = 16384)
    {
        var output = new List<byte>();
        for (var offset = 0; offset < message.Length; offset += recordSize)
        {
            var length = Math.Min(recordSize, message.Length - offset);
            output.AddRange([0x16, 0x03, 0x01]);
            output.AddRange(U16(length));
            output.AddRange(message.AsSpan(offset, length).ToArray());
        }

        return [.. output];
    }

    private static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
